package io.postcopy.engine.vm;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * A simulated VM: N vCPU threads, each running the same {@link Workload} step after step on guest memory
 * through its own {@link GuestAccessor}. vCPUs stop only between steps, so a paused VM's memory and vCPU
 * states are consistent: that is the point at which it migrates.
 *
 * <p>Control methods ({@link #start}, {@link #pause}, {@link #resume}, {@link #close}) are called by one
 * controlling thread. A vCPU that throws (for example a fault that timed out) ends; its failure is kept and
 * reported by {@link #failure()}.
 */
public final class SimulatedVm implements AutoCloseable {
    private enum RunState { RUNNING, PAUSED, STOPPED }

    private final String name;
    private final Workload workload;
    private final Vcpu[] vcpus;
    private final Thread[] threads;
    private final LongSupplier nanoClock;
    private final Object lock = new Object();
    private final AtomicLong firstStepNanos = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile RunState runState = RunState.PAUSED;
    private int parked;
    private int exited;

    /**
     * A VM whose vCPUs start from {@code states} (one per vCPU, ids 0..n-1 in order), paused until
     * {@link #start()}.
     *
     * @param name      for thread names and messages
     * @param accessors gives vCPU {@code i} its accessor
     * @param workload  what the vCPUs run
     * @param states    the vCPUs' initial states
     * @param nanoClock clock for {@link #firstStepNanos()}
     */
    public SimulatedVm(String name, IntFunction<GuestAccessor> accessors, Workload workload, List<VcpuState> states,
                       LongSupplier nanoClock) {
        this.name = Objects.requireNonNull(name, "name");
        this.workload = Objects.requireNonNull(workload, "workload");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (states.isEmpty() || states.size() > 4096) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "vcpus=" + states.size() + " (expected: 1..4096)");
        }
        this.vcpus = new Vcpu[states.size()];
        this.threads = new Thread[states.size()];
        for (int i = 0; i < vcpus.length; i++) {
            VcpuState state = states.get(i);
            if (state.vcpuId() != i) {
                throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                    "vCPU state at position " + i + " has id " + state.vcpuId());
            }
            vcpus[i] = new Vcpu(accessors.apply(i), vcpus.length, state);
        }
    }

    /** The initial states of a fresh VM with {@code vcpuCount} vCPUs. */
    public static List<VcpuState> initialStates(int vcpuCount, long seed) {
        List<VcpuState> states = new ArrayList<>(vcpuCount);
        for (int i = 0; i < vcpuCount; i++) {
            states.add(VcpuState.initial(i, seed));
        }
        return states;
    }

    /** Number of vCPUs. */
    public int vcpuCount() {
        return vcpus.length;
    }

    /** The workload the vCPUs run. */
    public Workload workload() {
        return workload;
    }

    /** Starts the vCPU threads; they run until paused. */
    public void start() {
        synchronized (lock) {
            if (threads[0] != null) {
                throw new IllegalStateException(name + " already started");
            }
            firstStepNanos.set(0);
            runState = RunState.RUNNING;
            for (int i = 0; i < vcpus.length; i++) {
                Vcpu vcpu = vcpus[i];
                threads[i] = Thread.ofPlatform().name(name + "-vcpu-" + i).daemon().start(() -> run(vcpu));
            }
        }
    }

    /**
     * Stops every vCPU at its next step boundary and waits until all have stopped.
     *
     * @param timeoutNs how long to wait; a vCPU blocked on a missing page cannot stop before the page arrives
     * @return the clock reading when the last vCPU stopped
     * @throws PostcopyException with {@code TIMEOUT} if they did not all stop in time
     */
    public long pause(long timeoutNs) {
        long deadline = nanoClock.getAsLong() + timeoutNs;
        synchronized (lock) {
            runState = RunState.PAUSED;
            while (parked + exited < vcpus.length) {
                long remainingMs = (deadline - nanoClock.getAsLong()) / 1_000_000;
                if (remainingMs <= 0) {
                    throw new PostcopyException(ErrorCode.TIMEOUT, name + ": " + (vcpus.length - parked - exited)
                        + " vCPUs did not pause within " + timeoutNs / 1_000_000 + " ms");
                }
                waitOnLock(remainingMs);
            }
            return nanoClock.getAsLong();
        }
    }

    /** Lets paused vCPUs run again; {@link #firstStepNanos()} restarts. */
    public void resume() {
        synchronized (lock) {
            firstStepNanos.set(0);
            runState = RunState.RUNNING;
            lock.notifyAll();
        }
    }

    /** The vCPU states; only meaningful while paused. */
    public List<VcpuState> vcpuStates() {
        List<VcpuState> states = new ArrayList<>(vcpus.length);
        for (Vcpu vcpu : vcpus) {
            states.add(vcpu.state());
        }
        return states;
    }

    /** Clock reading of the first step any vCPU took since the last start or resume, or 0 if none yet. */
    public long firstStepNanos() {
        return firstStepNanos.get();
    }

    /** Steps executed by all vCPUs (racy while running). */
    public long totalSteps() {
        long total = 0;
        for (Vcpu vcpu : vcpus) {
            total += vcpu.steps();
        }
        return total;
    }

    /** The first failure of any vCPU, if one failed. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** Stops and joins every vCPU thread (a vCPU blocked in a fault ends when its fault times out). */
    @Override
    public void close() {
        synchronized (lock) {
            runState = RunState.STOPPED;
            lock.notifyAll();
        }
        for (Thread thread : threads) {
            if (thread != null) {
                try {
                    thread.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void run(Vcpu vcpu) {
        try {
            while (true) {
                if (runState != RunState.RUNNING && !parkUntilRunning()) {
                    return;
                }
                if (firstStepNanos.get() == 0) {
                    firstStepNanos.compareAndSet(0, nanoClock.getAsLong());
                }
                workload.step(vcpu);
                vcpu.countStep();
            }
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        } finally {
            synchronized (lock) {
                exited++;
                lock.notifyAll();
            }
        }
    }

    /** Parks the calling vCPU while paused; returns false if the VM stopped. */
    private boolean parkUntilRunning() {
        synchronized (lock) {
            parked++;
            lock.notifyAll();
            try {
                while (runState == RunState.PAUSED) {
                    waitOnLock(0);
                }
            } finally {
                parked--;
            }
            return runState == RunState.RUNNING;
        }
    }

    private void waitOnLock(long timeoutMs) {
        try {
            lock.wait(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostcopyException(ErrorCode.INTERNAL, name + ": interrupted", e);
        }
    }
}
