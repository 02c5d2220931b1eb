package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.FaultBackendContractTest;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import org.junit.jupiter.api.BeforeEach;

/**
 * The userfaultfd backend against the shared contract with 2 MiB logical pages over ordinary anonymous memory: a
 * fault on any 4 KiB base page requests the whole 2 MiB page, installed with one {@code UFFDIO_COPY}. Skipped,
 * with the probe's reason, without uffd.
 */
class UffdHugePageContractTest extends FaultBackendContractTest {
    /** 160 MiB of guest RAM, unbacked until installed. */
    private static final int HUGE_PAGES = 80;

    @BeforeEach
    void requireUffd() {
        UffdTestSupport.assumeUffd();
    }

    @Override
    protected MemoryGeometry geometry() {
        return new MemoryGeometry((long) HUGE_PAGES * MemoryGeometry.HUGE_PAGE_SIZE, MemoryGeometry.HUGE_PAGE_SIZE);
    }

    @Override
    protected FaultBackend createBackend(FaultEngineContext context) {
        return new UffdBackend(context);
    }
}
