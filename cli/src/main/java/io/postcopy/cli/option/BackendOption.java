package io.postcopy.cli.option;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.BackendChoice;
import io.postcopy.engine.backend.FaultBackends;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngineContext;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;
import java.util.function.Function;

/**
 * {@code --backend auto|software|uffd}: which fault backend the destination uses. The one place that maps the
 * option to a backend factory.
 */
public enum BackendOption {
    /** The best backend this build and machine have. */
    AUTO,
    /** The portable software backend. */
    SOFTWARE,
    /** Linux userfaultfd. */
    UFFD;

    /**
     * The factory for this choice, resolved now so that an unavailable backend fails before anything starts.
     *
     * @throws PostcopyException {@code NATIVE} with the probe's cause if the backend cannot work here
     */
    public Function<FaultEngineContext, FaultBackend> factory() {
        BackendChoice choice = BackendChoice.fromCliName(cliName());
        FaultBackends.resolve(choice);
        return context -> FaultBackends.create(choice, context);
    }

    /** The name as written on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Picocli converter, case-insensitive, with a message that lists the choices. */
    public static final class Converter implements ITypeConverter<BackendOption> {
        @Override
        public BackendOption convert(String value) {
            for (BackendOption option : values()) {
                if (option.cliName().equalsIgnoreCase(value.trim())) {
                    return option;
                }
            }
            throw new TypeConversionException("backend '" + value + "' (expected: auto, software or uffd)");
        }
    }
}
