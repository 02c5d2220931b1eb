package io.postcopy.engine.backend.software;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.FaultBackendContractTest;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;

/** The software backend against the shared contract with 2 MiB pages, the reference for the uffd run. */
class SoftwareHugePageContractTest extends FaultBackendContractTest {
    private static final int HUGE_PAGES = 80;

    @Override
    protected MemoryGeometry geometry() {
        return new MemoryGeometry((long) HUGE_PAGES * MemoryGeometry.HUGE_PAGE_SIZE, MemoryGeometry.HUGE_PAGE_SIZE);
    }

    @Override
    protected FaultBackend createBackend(FaultEngineContext context) {
        return new SoftwareBackend(context);
    }
}
