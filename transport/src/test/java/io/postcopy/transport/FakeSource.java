package io.postcopy.transport;

import io.netty.util.ReferenceCountUtil;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.DeviceStateChunk;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeNegotiator;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.SourceCapabilities;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A source built from the real codec that answers every handshake, sends the VM description on CONTROL, and then
 * goes silent: it keeps reading (so TCP stays open and unblocked) but never writes again, like a source process that
 * was stopped after the handshake. It can grant the URGENT and BACKGROUND connections less than CONTROL.
 */
final class FakeSource implements AutoCloseable {
    static final int PAGE_SIZE = 4096;
    static final long PAGE_COUNT = (16L << 20) / PAGE_SIZE;

    private final ServerSocket server;
    private final long featuresWithheldAfterControl;
    private final List<WireConnection> connections = new CopyOnWriteArrayList<>();
    private final Map<ConnectionRole, BlockingQueue<Message>> received = new ConcurrentHashMap<>();
    private final java.util.Set<ConnectionRole> acceptedRoles = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    /** @param featuresWithheldAfterControl feature bits granted on CONTROL but not on URGENT and BACKGROUND */
    FakeSource(long featuresWithheldAfterControl) throws IOException {
        this.server = new ServerSocket(0);
        this.featuresWithheldAfterControl = featuresWithheldAfterControl;
        for (ConnectionRole role : ConnectionRole.values()) {
            received.put(role, new LinkedBlockingQueue<>());
        }
        this.acceptor = Thread.ofPlatform().name("fake-source-accept").daemon().start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    /** The roles whose handshake this source answered. */
    java.util.Set<ConnectionRole> acceptedRoles() {
        return java.util.Set.copyOf(acceptedRoles);
    }

    /** What the destination sent on a connection after its handshake, in order (PAGE_DATA never arrives here). */
    BlockingQueue<Message> received(ConnectionRole role) {
        return received.get(role);
    }

    private void accept() {
        try {
            while (true) {
                Socket socket = server.accept();
                WireConnection connection = new WireConnection(socket);
                connections.add(connection);
                Thread.ofPlatform().name("fake-source-conn").daemon().start(() -> serve(connection));
            }
        } catch (IOException closed) {
            // the test is over
        }
    }

    private void serve(WireConnection connection) {
        try {
            HandshakeRequest request = (HandshakeRequest) connection.read();
            HandshakeAnswer answer = HandshakeNegotiator.answer(request,
                SourceCapabilities.current(PAGE_SIZE, PAGE_COUNT), sessionId -> true);
            if (request.role() != ConnectionRole.CONTROL) {
                answer = new HandshakeAnswer(answer.status(), answer.acceptedVersion(), answer.sessionId(),
                    answer.grantedFeatures() & ~featuresWithheldAfterControl, answer.pageSizeInBytes(),
                    answer.pageCount());
            }
            connection.send(answer);
            acceptedRoles.add(request.role());
            connection.enterSession(DecodeContext.session(PAGE_SIZE, PAGE_COUNT, answer.grantedFeatures()));
            if (request.role() == ConnectionRole.CONTROL) {
                connection.send(new DeviceStateChunk(VmDescription.DEVICE_NAME, 0, true,
                    new VmDescription("kv", 1, 0, 1).toBytes()));
            }
            BlockingQueue<Message> queue = received.get(request.role());
            while (true) {
                Message message = connection.read();
                ReferenceCountUtil.release(message);
                queue.add(message);
            }
        } catch (IOException | RuntimeException end) {
            // the destination closed the connection, or the test is over
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (WireConnection connection : connections) {
            connection.close();
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
