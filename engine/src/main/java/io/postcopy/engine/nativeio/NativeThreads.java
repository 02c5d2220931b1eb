package io.postcopy.engine.nativeio;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The kernel's id of the calling thread ({@code gettid(2)}): what a userfaultfd page-fault message names as the
 * faulting thread ({@code UFFD_FEATURE_THREAD_ID}). A platform thread keeps its id for life; a virtual thread has
 * the id of whichever carrier runs it at the moment.
 */
public final class NativeThreads {
    private static final MethodHandle GETTID = Libc.downcallNoErrno("gettid",
        FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private NativeThreads() {
    }

    /**
     * {@code gettid()} of the calling thread (it cannot fail).
     *
     * @return a positive thread id, unique among the live threads of the system
     */
    public static int currentThreadId() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw new PostcopyException(ErrorCode.NATIVE, "gettid failed: " + t, t);
        }
    }
}
