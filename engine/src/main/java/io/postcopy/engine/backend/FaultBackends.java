package io.postcopy.engine.backend;

import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.backend.uffd.UffdBackend;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.fault.FaultEngineContext;

/** Creates the fault backend the user chose, resolving {@link BackendChoice#AUTO} with the userfaultfd probe. */
public final class FaultBackends {
    private FaultBackends() {
    }

    /**
     * Which backend {@code choice} means on this machine.
     *
     * @throws io.postcopy.engine.error.PostcopyException ({@code NATIVE}) for {@code uffd} where userfaultfd does
     *     not work, with the probe's cause
     */
    public static BackendKind resolve(BackendChoice choice) {
        return switch (choice) {
            case SOFTWARE -> BackendKind.SOFTWARE;
            case USERFAULTFD -> {
                UserfaultfdProbe.ensureAvailability();
                yield BackendKind.USERFAULTFD;
            }
            case AUTO -> UserfaultfdProbe.isAvailable() ? BackendKind.USERFAULTFD : BackendKind.SOFTWARE;
        };
    }

    /**
     * Creates the chosen backend. {@code auto} takes userfaultfd when its probe passed; a later failure to set it
     * up is reported, not hidden behind a silent fallback.
     *
     * @param choice  what the user asked for
     * @param context the fault engine's settings
     * @return a backend the caller must close
     * @throws io.postcopy.engine.error.PostcopyException ({@code NATIVE}) if {@code uffd} cannot work here
     */
    public static FaultBackend create(BackendChoice choice, FaultEngineContext context) {
        return switch (resolve(choice)) {
            case SOFTWARE -> new SoftwareBackend(context);
            case USERFAULTFD -> new UffdBackend(context);
        };
    }
}
