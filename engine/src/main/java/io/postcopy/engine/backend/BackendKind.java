package io.postcopy.engine.backend;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.Locale;

/** The fault mechanisms the engine has, as named on the command line ({@code --backend}). */
public enum BackendKind {
    /** Accessors check the cached bit in Java and fault on a miss; portable. */
    SOFTWARE("software"),
    /** Guest RAM registered with Linux userfaultfd; the kernel raises the faults. */
    USERFAULTFD("uffd");

    private final String cliName;

    BackendKind(String cliName) {
        this.cliName = cliName;
    }

    /** The name used by {@code --backend} and in reports. */
    public String cliName() {
        return cliName;
    }

    /**
     * @param name {@code software} or {@code uffd}
     * @throws PostcopyException for any other name
     */
    public static BackendKind fromCliName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (BackendKind kind : values()) {
            if (kind.cliName.equals(wanted)) {
                return kind;
            }
        }
        throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
            "backend '" + name + "' (expected: auto, software or uffd)");
    }
}
