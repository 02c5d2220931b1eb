package io.postcopy.engine.nativeio;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class NativeThreadsTest {
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");

    /** The kernel's own answer: /proc/thread-self links to {@code <pid>/task/<tid>}. */
    private static int tidFromProc() throws Exception {
        String target = Files.readSymbolicLink(THREAD_SELF).toString();
        return Integer.parseInt(target.substring(target.lastIndexOf('/') + 1));
    }

    @Test
    void shouldMatchProcThreadSelfWhenCalledOnTwoThreads() throws Exception {
        Assumptions.assumeTrue(Libc.isAvailable() && Files.exists(THREAD_SELF), "needs Linux with /proc");
        int here = NativeThreads.currentThreadId();
        assertEquals(tidFromProc(), here);
        int[] there = CompletableFuture.supplyAsync(() -> {
            try {
                return new int[] {NativeThreads.currentThreadId(), tidFromProc()};
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, task -> Thread.ofPlatform().start(task)).get(10, TimeUnit.SECONDS);
        assertEquals(there[1], there[0]);
        assertNotEquals(here, there[0], "each thread has its own id");
    }
}
