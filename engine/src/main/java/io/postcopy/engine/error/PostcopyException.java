package io.postcopy.engine.error;

/**
 * The one base type of the control plane's unchecked exceptions. Its {@link ErrorCode} is what travels to the
 * peer in an ERROR frame, so a failure on one side is reported by the same name on the other.
 */
public class PostcopyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /**
     * @param code    what kind of failure this is
     * @param message what went wrong and, where possible, what to do about it
     */
    public PostcopyException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    /**
     * @param code    what kind of failure this is
     * @param message what went wrong and, where possible, what to do about it
     * @param cause   the underlying failure
     */
    public PostcopyException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The code that names this failure on the wire. */
    public ErrorCode code() {
        return code;
    }

    /** The message without the code in front (to build another message around it). */
    public String detail() {
        return super.getMessage();
    }

    @Override
    public String getMessage() {
        return code + ": " + super.getMessage();
    }
}
