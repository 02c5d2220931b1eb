package io.postcopy.cli.option;

import io.postcopy.engine.migration.MigrationMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.List;

/** The migration mode and its precopy settings, shared by {@code source} and {@code demo} (a picocli mixin). */
public final class ModeOptions {
    @Option(names = "--mode", paramLabel = "postcopy|hybrid|precopy", defaultValue = "postcopy",
        converter = ModeConverter.class,
        description = "postcopy: move the VM at once, pages follow; hybrid: precopy rounds, then post-copy; "
            + "precopy: the classic baseline (default: ${DEFAULT-VALUE}).")
    MigrationMode mode;

    @Option(names = "--hybrid-rounds", paramLabel = "N", defaultValue = "2",
        description = "hybrid: precopy rounds before switching to post-copy, fewer if the dirty set stops "
            + "shrinking (default: ${DEFAULT-VALUE}).")
    int hybridRounds;

    @Option(names = "--max-rounds", paramLabel = "N", defaultValue = "30",
        description = "precopy: give up converging after this many rounds (default: ${DEFAULT-VALUE}).")
    int maxRounds;

    @Option(names = "--downtime-budget", paramLabel = "DURATION", defaultValue = "50ms",
        converter = DurationConverter.class,
        description = "precopy: stop once the remaining dirty pages fit this downtime (default: ${DEFAULT-VALUE}).")
    Duration downtimeBudget;

    /** The chosen mode. */
    public MigrationMode mode() {
        return mode;
    }

    /** Hybrid rounds. */
    public int hybridRounds() {
        return hybridRounds;
    }

    /** Precopy round limit. */
    public int maxRounds() {
        return maxRounds;
    }

    /** Precopy downtime budget in milliseconds. */
    public long downtimeBudgetMs() {
        return downtimeBudget.toMillis();
    }

    /** The same settings as command-line arguments, for a child {@code source} JVM. */
    public List<String> toArgs() {
        return List.of("--mode", mode.cliName(), "--hybrid-rounds", Integer.toString(hybridRounds),
            "--max-rounds", Integer.toString(maxRounds), "--downtime-budget", downtimeBudget.toMillis() + "ms");
    }

    /** Case-insensitive converter with a message that lists the modes. */
    public static final class ModeConverter implements ITypeConverter<MigrationMode> {
        @Override
        public MigrationMode convert(String value) {
            try {
                return MigrationMode.fromCliName(value);
            } catch (RuntimeException e) {
                throw new TypeConversionException("mode '" + value + "' (expected: postcopy, hybrid or precopy)");
            }
        }
    }
}
