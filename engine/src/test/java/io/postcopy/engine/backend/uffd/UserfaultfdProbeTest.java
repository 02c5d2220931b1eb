package io.postcopy.engine.backend.uffd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UserfaultfdProbeTest {
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldResolveOneRealFaultWhenProbing() {
        UffdTestSupport.assumeUffd();
        Throwable again = UserfaultfdProbe.probe();
        assertEquals(null, again, () -> "a second probe failed: " + again);
        assertTrue(UserfaultfdProbe.isAvailable());
        assertTrue(Thread.getAllStackTraces().keySet().stream()
            .noneMatch(t -> t.getName().equals("postcopy-uffd-probe")), "the probe's toucher thread ended");
    }
}
