package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.FaultBackendContractTest;
import io.postcopy.engine.fault.FaultEngineContext;
import org.junit.jupiter.api.BeforeEach;

/** The userfaultfd backend against the shared backend contract; skipped, with the probe's reason, without uffd. */
class UffdBackendContractTest extends FaultBackendContractTest {
    @BeforeEach
    void requireUffd() {
        UffdTestSupport.assumeUffd();
    }

    @Override
    protected FaultBackend createBackend(FaultEngineContext context) {
        return new UffdBackend(context);
    }
}
