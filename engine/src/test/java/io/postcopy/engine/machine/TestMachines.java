package io.postcopy.engine.machine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.DirectAccessor;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Guest memory, devices and waiting for the machine tests. */
final class TestMachines {
    static final MemoryGeometry GEOMETRY = new MemoryGeometry(1 << 20, 4096);
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(20);

    private TestMachines() {
    }

    static MachineDevices.Settings settings() {
        return MachineDevices.Settings.defaults(GEOMETRY);
    }

    static MachineDevices source(GuestMemory memory, MachineDevices.Settings settings) {
        return MachineDevices.source("src", settings, new DirectAccessor(memory), new SimpleMeterRegistry());
    }

    static MachineDevices destination(SoftwareBackend backend, MachineDevices.Settings settings) {
        return MachineDevices.destination("dst", settings, backend.hostAccessor(), new SimpleMeterRegistry());
    }

    /** A destination backend with every page installed as a copy of {@code source}'s (simple, no faults). */
    static SoftwareBackend copyOf(GuestMemory source) {
        SoftwareBackend backend = new SoftwareBackend(FaultEngineContext.of(source.geometry(), 1, 64));
        for (long page = 0; page < source.pageCount(); page++) {
            backend.installPage(page, source.page(page));
        }
        return backend;
    }

    /**
     * Every chunk of a source that ran {@code cycles} duty cycles (on the test thread, deterministic), then
     * stopped and copied.
     */
    static List<DeviceChunk> stoppedSourceChunks(GuestMemory memory, MachineDevices.Settings settings, int cycles) {
        try (MachineDevices source = source(memory, settings)) {
            for (int i = 0; i < cycles; i++) {
                source.driver().doWork();
            }
            List<DeviceChunk> chunks = new ArrayList<>();
            source.stopAndCopy(chunks::add);
            return chunks;
        }
    }

    /** Polls {@code condition} until it holds, failing the test after {@code timeoutNs}. */
    static void await(BooleanSupplier condition, long timeoutNs, String what) {
        long deadlineNs = System.nanoTime() + timeoutNs;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadlineNs > 0) {
                fail("timed out after " + timeoutNs / 1_000_000 + " ms waiting for " + what);
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
