package io.postcopy.engine.backend;

import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngineContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FaultBackendsTest {
    private static final FaultEngineContext CONTEXT =
        FaultEngineContext.of(FaultBackendContractTest.smallGeometry(), 2, 16);

    @Test
    void shouldParseChoiceWhenNameIsKnown() {
        assertEquals(BackendChoice.AUTO, BackendChoice.fromCliName("auto"));
        assertEquals(BackendChoice.SOFTWARE, BackendChoice.fromCliName("Software"));
        assertEquals(BackendChoice.USERFAULTFD, BackendChoice.fromCliName("UFFD"));
        PostcopyException e = assertThrows(PostcopyException.class, () -> BackendChoice.fromCliName("kvm"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    @Test
    void shouldCreateSoftwareBackendWhenSoftwareIsChosen() {
        try (FaultBackend backend = FaultBackends.create(BackendChoice.SOFTWARE, CONTEXT)) {
            assertEquals(BackendKind.SOFTWARE, backend.kind());
        }
    }

    @Test
    void shouldPickUffdWhenAutoAndProbePasses() {
        BackendKind expected = UserfaultfdProbe.isAvailable() ? BackendKind.USERFAULTFD : BackendKind.SOFTWARE;
        try (FaultBackend backend = FaultBackends.create(BackendChoice.AUTO, CONTEXT)) {
            assertEquals(expected, backend.kind());
        }
    }

    @Test
    void shouldFailAtOnceWithProbeCauseWhenUffdIsChosenButUnavailable() {
        if (UserfaultfdProbe.isAvailable()) {
            assertNull(UserfaultfdProbe.unavailabilityCause());
            UserfaultfdProbe.ensureAvailability();
            try (FaultBackend backend = FaultBackends.create(BackendChoice.USERFAULTFD, CONTEXT)) {
                assertEquals(BackendKind.USERFAULTFD, backend.kind());
            }
        } else {
            PostcopyException e = assertThrows(PostcopyException.class,
                () -> FaultBackends.create(BackendChoice.USERFAULTFD, CONTEXT));
            assertEquals(ErrorCode.NATIVE, e.code());
            assertSame(UserfaultfdProbe.unavailabilityCause(), e.getCause());
        }
    }
}
