package io.postcopy.engine.backend;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.Locale;

/**
 * What the user asked for with {@code --backend}: a {@link BackendKind}, or {@code auto} to take userfaultfd when
 * it works here and the software backend otherwise. Resolved by {@link FaultBackends#create}.
 */
public enum BackendChoice {
    /** Userfaultfd if the probe says it works, else software. */
    AUTO("auto"),
    /** Always the software backend. */
    SOFTWARE("software"),
    /** Always userfaultfd; fails at once, with the probe's cause, where it cannot work. */
    USERFAULTFD("uffd");

    private final String cliName;

    BackendChoice(String cliName) {
        this.cliName = cliName;
    }

    /** The name used by {@code --backend}. */
    public String cliName() {
        return cliName;
    }

    /**
     * @param name {@code auto}, {@code software} or {@code uffd} (any case)
     * @throws PostcopyException ({@code INVALID_ARGUMENT}) for any other name
     */
    public static BackendChoice fromCliName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (BackendChoice choice : values()) {
            if (choice.cliName.equals(wanted)) {
                return choice;
            }
        }
        throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
            "backend '" + name + "' (expected: auto, software or uffd)");
    }
}
