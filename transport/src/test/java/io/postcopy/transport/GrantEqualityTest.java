package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.Protocol;
import io.postcopy.protocol.ProtocolErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every connection of a session must be granted exactly what its CONTROL connection was, checked on both sides. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrantEqualityTest {
    @Test
    void shouldFailWithTypedErrorWhenSourceGrantsSecondConnectionLessThanControl() throws Exception {
        try (FakeSource source = new FakeSource(Feature.ZERO_PAGE_ENCODING.mask())) {
            DestinationOptions options = new DestinationOptions("127.0.0.1", source.port(), SoftwareBackend::new, 0,
                60_000);
            long start = System.nanoTime();
            PostcopyException failure = assertThrows(PostcopyException.class, () -> DestinationNode.migrate(options,
                new SimpleMeterRegistry(), FaultListener.NONE, MigrationProgress.NONE));

            assertEquals(ErrorCode.UNEXPECTED_MESSAGE, failure.code(), failure.toString());
            assertTrue(failure.getMessage().contains("URGENT connection")
                && failure.getMessage().contains("ZERO_PAGE_ENCODING"), failure.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "at once, not at the deadline");
            Message told = source.received(ConnectionRole.URGENT).poll(10, TimeUnit.SECONDS);
            ErrorMessage error = assertInstanceOf(ErrorMessage.class, told, "the source is told why");
            assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE, error.code());
        }
    }

    @Test
    void shouldRefuseSecondConnectionWhenDestinationAsksForOtherFeaturesThanOnControl() throws Exception {
        SourceOptions options = new SourceOptions("127.0.0.1", 0, 16L << 20, 4096, 1, "kv", 0, 3);
        try (SourceNode source = SourceNode.start(options, new SimpleMeterRegistry());
             WireConnection control = WireConnection.connect(source.localAddress().getPort());
             WireConnection urgent = WireConnection.connect(source.localAddress().getPort())) {
            NegotiatedSession terms = control.handshake(ConnectionRole.CONTROL, DestinationNode.REQUESTED_FEATURES, 0,
                0, 0x4444);
            HandshakeAnswer answer = urgent.requestHandshake(new HandshakeRequest(Protocol.MIN_SUPPORTED_VERSION,
                Protocol.MAX_SUPPORTED_VERSION, ConnectionRole.URGENT,
                DestinationNode.REQUESTED_FEATURES & ~Feature.PAGE_DIGESTS.mask(), terms.pageSizeInBytes(),
                terms.pageCount(), terms.sessionId()));

            assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE, answer.refusalCode());
            assertEquals(0, answer.grantedFeatures(), "a refusal grants nothing");
            assertEquals(SourceVmState.RUNNING, source.vmState());
        }
    }
}
