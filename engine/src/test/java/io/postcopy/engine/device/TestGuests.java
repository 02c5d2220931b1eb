package io.postcopy.engine.device;

import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;

/** Guest memory for device tests: a software backend with every page present (zero). */
final class TestGuests {
    static final int PAGE_BYTES = 4096;

    private TestGuests() {
    }

    /** A backend of {@code pageCount} present zero pages; the caller closes it. */
    static SoftwareBackend presentMemory(int pageCount) {
        SoftwareBackend backend = new SoftwareBackend(
            FaultEngineContext.of(new MemoryGeometry((long) pageCount * PAGE_BYTES, PAGE_BYTES), 1, 64));
        for (long page = 0; page < pageCount; page++) {
            backend.installZeroPage(page);
        }
        return backend;
    }
}
