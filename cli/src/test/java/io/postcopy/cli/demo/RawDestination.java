package io.postcopy.cli.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.Features;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeNegotiator;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.MessageCodec;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.Protocol;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.function.Predicate;

/**
 * One connection of a fake destination, built from the real codec, that a test can kill like a process: blocking
 * socket I/O, a reset on {@link #kill()}.
 */
final class RawDestination implements AutoCloseable {
    /** What the real destination asks for. */
    static final long FEATURES = Features.of(Feature.ZERO_PAGE_ENCODING, Feature.URGENT_CHANNEL,
        Feature.PAGE_DIGESTS, Feature.DEVICE_STATE, Feature.DISCARD, Feature.PRECOPY);

    private final Socket socket;
    private final DataInputStream in;
    private DecodeContext context = DecodeContext.handshake();

    private RawDestination(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(30_000);
        this.in = new DataInputStream(socket.getInputStream());
    }

    /**
     * Connects and completes the handshake of {@code role}; CONTROL ({@code control == null}) adopts the source's
     * geometry, the others repeat CONTROL's.
     */
    static RawDestination open(int port, ConnectionRole role, long sessionId, NegotiatedSession control)
        throws IOException {
        RawDestination connection = new RawDestination(new Socket("127.0.0.1", port));
        HandshakeRequest request = new HandshakeRequest(Protocol.MIN_SUPPORTED_VERSION, Protocol.MAX_SUPPORTED_VERSION,
            role, FEATURES, control == null ? 0 : control.pageSizeInBytes(), control == null ? 0 : control.pageCount(),
            sessionId);
        ByteBuf frame = Unpooled.buffer();
        try {
            MessageCodec.encode(request, frame);
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            connection.socket.getOutputStream().write(bytes);
        } finally {
            frame.release();
        }
        connection.terms = HandshakeNegotiator.accept(request, (HandshakeAnswer) connection.read());
        connection.context = connection.terms.decodeContext();
        return connection;
    }

    private NegotiatedSession terms;

    NegotiatedSession terms() {
        return terms;
    }

    private Message read() throws IOException {
        byte[] body = in.readNBytes(in.readInt());
        ByteBuf frame = Unpooled.wrappedBuffer(body);
        try {
            return MessageCodec.decode(frame, context);
        } finally {
            frame.release();
        }
    }

    /** Reads and releases messages until one matches. */
    void readUntil(Predicate<Message> wanted) throws IOException {
        while (true) {
            Message message = read();
            ReferenceCountUtil.release(message);
            if (wanted.test(message)) {
                return;
            }
        }
    }

    /** Ends the connection as a killed process does: a reset. */
    void kill() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
