package io.postcopy.protocol;

/**
 * A protocol failure: bad bytes from the network, a refused handshake, or a message that breaks the contract of
 * the conversation. Its {@link #code()} is what the receiver sends to the peer in an ERROR frame before it closes
 * the connection. Unchecked, like every control-plane failure of the project.
 */
public class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ProtocolErrorCode code;

    /**
     * @param code    what kind of failure this is; travels on the wire
     * @param message what went wrong, with the offending value and the expected range
     */
    public ProtocolException(ProtocolErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    /**
     * @param code    what kind of failure this is; travels on the wire
     * @param message what went wrong, with the offending value and the expected range
     * @param cause   the underlying failure
     */
    public ProtocolException(ProtocolErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The code that names this failure on the wire. */
    public ProtocolErrorCode code() {
        return code;
    }

    /** The message without the code prefix, suitable as the text of an ERROR frame. */
    public String detail() {
        return super.getMessage();
    }

    @Override
    public String getMessage() {
        return code + ": " + super.getMessage();
    }

    static ProtocolException malformed(String message) {
        return new ProtocolException(ProtocolErrorCode.MALFORMED_FRAME, message);
    }

    static ProtocolException invalidArgument(String message) {
        return new ProtocolException(ProtocolErrorCode.INVALID_ARGUMENT, message);
    }
}
