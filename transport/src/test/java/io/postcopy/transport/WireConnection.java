package io.postcopy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.MessageCodec;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.HandshakeNegotiator;
import io.postcopy.protocol.Protocol;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.function.Predicate;

/**
 * One end of a protocol connection for fake peers in tests: blocking socket I/O through the real codec. Not
 * thread-safe; one thread reads, one writes.
 */
final class WireConnection implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private volatile DecodeContext context = DecodeContext.handshake();

    WireConnection(Socket socket) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static WireConnection connect(int port) throws IOException {
        return new WireConnection(new Socket("127.0.0.1", port));
    }

    /** A fake destination's handshake; returns the agreed terms (the decoder switches to them). */
    NegotiatedSession handshake(ConnectionRole role, long features, int pageSize, long pageCount, long sessionId)
        throws IOException {
        HandshakeRequest request = new HandshakeRequest(Protocol.MIN_SUPPORTED_VERSION,
            Protocol.MAX_SUPPORTED_VERSION, role, features, pageSize, pageCount, sessionId);
        send(request);
        HandshakeAnswer answer = (HandshakeAnswer) read();
        NegotiatedSession terms = HandshakeNegotiator.accept(request, answer);
        enterSession(terms.decodeContext());
        return terms;
    }

    /** Sends the request and returns the raw answer, accepted or not. */
    HandshakeAnswer requestHandshake(HandshakeRequest request) throws IOException {
        send(request);
        return (HandshakeAnswer) read();
    }

    void enterSession(DecodeContext sessionContext) {
        this.context = sessionContext;
    }

    void send(Message message) throws IOException {
        ByteBuf frame = Unpooled.buffer();
        try {
            MessageCodec.encode(message, frame);
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            out.write(bytes);
            out.flush();
        } finally {
            frame.release();
        }
    }

    /** The next message; the caller releases it if it is reference-counted (PAGE_DATA). */
    Message read() throws IOException {
        int length = in.readInt();
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new EOFException("connection closed inside a frame");
        }
        ByteBuf frame = Unpooled.wrappedBuffer(body);
        try {
            return MessageCodec.decode(frame, context);
        } finally {
            frame.release();
        }
    }

    /** Reads (and releases) messages until one matches, which is returned unreleased. */
    Message readUntil(Predicate<Message> wanted) throws IOException {
        while (true) {
            Message message = read();
            if (wanted.test(message)) {
                return message;
            }
            ReferenceCountUtil.release(message);
        }
    }

    /**
     * Reads and releases everything until the peer closes the connection.
     *
     * @return the last message before the end, or null
     */
    Message drainToEnd() {
        Message last = null;
        try {
            while (true) {
                Message message = read();
                ReferenceCountUtil.release(message);
                last = message;
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the peer did not close the connection", e);
        } catch (IOException e) {
            return last;
        }
    }

    /** Ends the connection the way a killed process does: a reset, without a goodbye. */
    void kill() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
