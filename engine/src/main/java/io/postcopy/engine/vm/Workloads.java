package io.postcopy.engine.vm;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.List;
import java.util.Locale;

/** The workloads by command-line name. */
public final class Workloads {
    /** Every name {@link #create} accepts. */
    public static final List<String> NAMES = List.of("sequential", "random", "hotset", "kv");

    private Workloads() {
    }

    /**
     * A new workload instance.
     *
     * @param name one of {@link #NAMES}
     * @throws PostcopyException with {@code INVALID_ARGUMENT} for any other name
     */
    public static Workload create(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sequential" -> new SequentialScanWorkload();
            case "random" -> new UniformRandomWorkload();
            case "hotset" -> new HotSetWorkload();
            case "kv" -> new KeyValueStoreWorkload();
            default -> throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "workload '" + name + "' (expected one of: " + String.join(", ", NAMES) + ")");
        };
    }
}
