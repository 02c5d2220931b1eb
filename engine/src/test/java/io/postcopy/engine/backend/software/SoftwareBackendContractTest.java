package io.postcopy.engine.backend.software;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.FaultBackendContractTest;
import io.postcopy.engine.fault.FaultEngineContext;

/** The software backend against the shared backend contract. */
class SoftwareBackendContractTest extends FaultBackendContractTest {
    @Override
    protected FaultBackend createBackend(FaultEngineContext context) {
        return new SoftwareBackend(context);
    }
}
