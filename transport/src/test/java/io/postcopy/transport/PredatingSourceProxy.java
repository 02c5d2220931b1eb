package io.postcopy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.Features;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.MessageCodec;
import io.postcopy.protocol.ProtocolErrorCode;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in front of a real source as a source that predates {@link Feature#PAGE_RUNS}: a handshake that asks for
 * that bit is refused with UNKNOWN_FEATURE (as a source refuses any bit it does not know); any other connection is
 * forwarded byte for byte. Records what it saw.
 */
final class PredatingSourceProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final int pageSize;
    private final long pageCount;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final AtomicInteger refused = new AtomicInteger();
    final List<Long> forwardedFeatures = new CopyOnWriteArrayList<>();

    PredatingSourceProxy(InetSocketAddress target, int pageSize, long pageCount) throws IOException {
        this.server = new ServerSocket(0);
        this.target = target;
        this.pageSize = pageSize;
        this.pageCount = pageCount;
        Thread.ofPlatform().daemon().name("old-source-accept").start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket client = server.accept();
                sockets.add(client);
                Thread.ofPlatform().daemon().name("old-source-conn").start(() -> serve(client));
            }
        } catch (IOException closed) {
            // the proxy was closed
        }
    }

    private void serve(Socket client) {
        try {
            DataInputStream in = new DataInputStream(client.getInputStream());
            int length = in.readInt();
            byte[] frame = in.readNBytes(length);
            ByteBuf body = Unpooled.wrappedBuffer(frame);
            HandshakeRequest request;
            try {
                request = (HandshakeRequest) MessageCodec.decode(body, DecodeContext.handshake());
            } finally {
                body.release();
            }
            if (Features.contains(request.requestedFeatures(), Feature.PAGE_RUNS)) {
                refused.incrementAndGet();
                ByteBuf answer = Unpooled.buffer();
                MessageCodec.encode(new HandshakeAnswer(ProtocolErrorCode.UNKNOWN_FEATURE.wireValue(), 1,
                    request.sessionId(), 0, pageSize, pageCount), answer);
                client.getOutputStream().write(answer.array(), answer.arrayOffset() + answer.readerIndex(),
                    answer.readableBytes());
                answer.release();
                client.close();
                return;
            }
            forwardedFeatures.add(request.requestedFeatures());
            Socket upstream = new Socket(target.getAddress(), target.getPort());
            sockets.add(upstream);
            OutputStream toSource = upstream.getOutputStream();
            toSource.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
                (byte) length});
            toSource.write(frame);
            Thread.ofPlatform().daemon().name("old-source-down").start(() -> pump(upstream, client));
            pump(client, upstream);
        } catch (IOException gone) {
            // either side closed: the connection is over
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException gone) {
            // either side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
