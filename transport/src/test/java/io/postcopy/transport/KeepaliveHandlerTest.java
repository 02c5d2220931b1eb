package io.postcopy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.MessageCodec;
import io.postcopy.protocol.Ping;
import io.postcopy.protocol.Pong;
import io.postcopy.protocol.Protocol;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.transport.codec.ProtocolPipeline;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The keepalive on a channel whose clock the test moves: PINGs on time, any frame resets the deadline. */
class KeepaliveHandlerTest {
    private static final long INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long DEADLINE_NS = TimeUnit.MILLISECONDS.toNanos(350);

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final List<PostcopyException> silences = new ArrayList<>();

    private EmbeddedChannel channel(KeepaliveHandler keepalive) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        ProtocolPipeline.install(channel.pipeline(), DecodeContext.session(4096, 16, 0));
        channel.pipeline().addFirst(KeepaliveHandler.NAME, keepalive);
        return channel;
    }

    private void advance(EmbeddedChannel channel, long nanos) {
        clock.addAndGet(nanos);
        channel.advanceTimeBy(nanos, TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    private static List<Message> written(EmbeddedChannel channel) {
        List<Message> messages = new ArrayList<>();
        for (ByteBuf frame = channel.readOutbound(); frame != null; frame = channel.readOutbound()) {
            try {
                frame.skipBytes(Protocol.LENGTH_FIELD_SIZE_IN_BYTES);
                messages.add(MessageCodec.decode(frame, DecodeContext.session(4096, 16, 0)));
            } finally {
                frame.release();
            }
        }
        return messages;
    }

    private static ByteBuf frame(Message message) {
        ByteBuf frame = Unpooled.buffer();
        MessageCodec.encode(message, frame);
        return frame;
    }

    @Test
    void shouldPingEveryIntervalWithFreshNonceWhilePeerAnswers() {
        EmbeddedChannel channel = channel(KeepaliveHandler.pinging("the source", INTERVAL_NS, DEADLINE_NS,
            clock::get, silences::add));
        List<Message> pings = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            advance(channel, INTERVAL_NS);
            List<Message> out = written(channel);
            pings.addAll(out);
            channel.writeInbound(frame(new Pong(((Ping) out.getLast()).nonce())));
        }

        assertEquals(10, pings.size(), "one PING per interval: " + pings);
        for (int i = 0; i < pings.size(); i++) {
            assertEquals(new Ping(i + 1), pings.get(i));
        }
        assertTrue(silences.isEmpty(), "an answering peer is never silent: " + silences);
        assertTrue(channel.isActive());
        int pongs = 0;
        for (Object read = channel.readInbound(); read != null; read = channel.readInbound()) {
            assertInstanceOf(Pong.class, read, "the keepalive passes every frame on");
            pongs++;
        }
        assertEquals(10, pongs);
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldReportTimeoutAndSendErrorWhenPeerIsSilentPastDeadline() {
        EmbeddedChannel channel = channel(KeepaliveHandler.pinging("the source at 10.0.0.1:7000", INTERVAL_NS,
            DEADLINE_NS, clock::get, silences::add));
        advance(channel, INTERVAL_NS);
        advance(channel, INTERVAL_NS);
        advance(channel, INTERVAL_NS);
        assertTrue(silences.isEmpty(), "300 ms of silence is within the 350 ms deadline");
        advance(channel, INTERVAL_NS);

        assertEquals(1, silences.size());
        PostcopyException silence = silences.getFirst();
        assertEquals(ErrorCode.TIMEOUT, silence.code());
        assertTrue(silence.getMessage().contains("the source at 10.0.0.1:7000 sent nothing for 400 ms")
            && silence.getMessage().contains("3 PINGs unanswered"), silence.getMessage());
        List<Message> out = written(channel);
        assertEquals(List.of(new Ping(1), new Ping(2), new Ping(3)), out.subList(0, 3));
        ErrorMessage error = assertInstanceOf(ErrorMessage.class, out.getLast(), "then ERROR: " + out);
        assertEquals(ProtocolErrorCode.TIMEOUT, error.code());
        assertFalse(channel.isActive(), "and the connection is closed");
        advance(channel, DEADLINE_NS);
        assertEquals(1, silences.size(), "reported once");
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldCountAnyFrameAsLifeWhenOnlyWatching() {
        EmbeddedChannel channel = channel(KeepaliveHandler.watching("the destination", DEADLINE_NS, clock::get,
            silences::add));
        for (int i = 0; i < 20; i++) {
            advance(channel, DEADLINE_NS / 2);
            channel.writeInbound(frame(new Ping(i)));
            Message pong = written(channel).stream().findFirst().orElse(null);
            assertNull(pong, "the watcher itself sends nothing, and nothing here answers PINGs");
        }
        assertTrue(silences.isEmpty(), "a frame every half deadline keeps the connection alive");
        for (Object read = channel.readInbound(); read != null; read = channel.readInbound()) {
            assertInstanceOf(Ping.class, read);
        }
        advance(channel, DEADLINE_NS);
        advance(channel, DEADLINE_NS / 4);
        assertEquals(1, silences.size());
        assertFalse(channel.isActive());
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldRejectIntervalNotBelowDeadline() {
        PostcopyException e = assertThrows(PostcopyException.class, () -> KeepaliveHandler.pinging("x", DEADLINE_NS,
            DEADLINE_NS, clock::get, silences::add));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }
}
