package io.postcopy.protocol;

import java.nio.charset.StandardCharsets;

/**
 * ERROR (0x05): the sender has met a failure and is about to close the connection. The receiver logs it, fails the
 * session with the code and closes too; it never answers an ERROR with an ERROR.
 *
 * @param codeWireValue the error code's wire value, 1..65535; kept raw so that a newer peer's code survives (see
 *                      {@link #code()})
 * @param text          a human-readable explanation, at most {@link #MAX_TEXT_LENGTH_IN_BYTES} bytes of UTF-8
 */
public record ErrorMessage(int codeWireValue, String text) implements Message {
    /** Largest text on the wire, in UTF-8 bytes. */
    public static final int MAX_TEXT_LENGTH_IN_BYTES = 1024;

    /** Validates the ranges; see the record's parameters. */
    public ErrorMessage {
        Checks.u16(codeWireValue, "codeWireValue");
        if (codeWireValue == 0) {
            throw ProtocolException.invalidArgument("codeWireValue=0 (expected: 1..65535)");
        }
        Checks.notNull(text, "text");
        int lengthInBytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (lengthInBytes > MAX_TEXT_LENGTH_IN_BYTES) {
            throw ProtocolException.invalidArgument("text of " + lengthInBytes + " bytes (expected: <= "
                + MAX_TEXT_LENGTH_IN_BYTES + ")");
        }
    }

    /**
     * An ERROR for a code, with its text cut (at a character boundary) to fit {@link #MAX_TEXT_LENGTH_IN_BYTES}.
     *
     * @param code the failure
     * @param text any text, {@code null} for none
     */
    public static ErrorMessage of(ProtocolErrorCode code, String text) {
        String fitted = text == null ? "" : text;
        while (fitted.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_LENGTH_IN_BYTES) {
            int cut = Math.min(fitted.length() - 1, MAX_TEXT_LENGTH_IN_BYTES);
            if (Character.isLowSurrogate(fitted.charAt(cut)) && cut > 0) {
                cut--;
            }
            fitted = fitted.substring(0, cut);
        }
        return new ErrorMessage(code.wireValue(), fitted);
    }

    /** The code; {@link ProtocolErrorCode#INTERNAL} for a number this side does not know. */
    public ProtocolErrorCode code() {
        return ProtocolErrorCode.fromWireValue(codeWireValue);
    }

    @Override
    public MessageType type() {
        return MessageType.ERROR;
    }
}
