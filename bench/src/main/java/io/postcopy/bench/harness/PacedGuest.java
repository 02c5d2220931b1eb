package io.postcopy.bench.harness;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.VcpuAccessorDecorator;
import io.postcopy.engine.fault.FaultEngine;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;

/**
 * The bench's paced guest: the destination's {@link VcpuAccessorDecorator} that hands each vCPU a
 * {@link PacedAccessor} around the backend's accessor, and afterwards says what the paced vCPUs saw and when
 * guest memory became complete. The backend itself is left alone (installs, discards and every other backend
 * call go straight to it).
 *
 * <p>{@link #decorate} is called by the destination while it builds the VM; the figures are read after the
 * migration returned (its vCPU threads have been joined by then).
 */
final class PacedGuest implements VcpuAccessorDecorator {
    private final long intervalNs;
    private final List<PacedAccessor> accessors = new ArrayList<>();
    private FaultEngine engine;

    /** @param intervalNs time between two page touches of one vCPU */
    PacedGuest(long intervalNs) {
        this.intervalNs = intervalNs;
    }

    @Override
    public synchronized GuestAccessor decorate(int vcpuId, GuestAccessor accessor, FaultEngine vcpuEngine) {
        this.engine = vcpuEngine;
        PacedAccessor paced = new PacedAccessor(accessor, vcpuEngine, intervalNs);
        accessors.add(paced);
        return paced;
    }

    /**
     * {@link System#nanoTime()} when the last missing page was installed (the engine's clock is the system's in
     * the destination), 0 if memory never became complete or no vCPU was built.
     */
    synchronized long lastCompleteNanos() {
        return engine == null ? 0 : engine.completedAtNanos();
    }

    /** What the paced vCPUs saw, all vCPUs together. */
    synchronized GuestObservation observation() {
        Histogram corrected = new Histogram(3);
        Histogram uncorrected = new Histogram(3);
        long touches = 0;
        long[] union = null;
        for (PacedAccessor accessor : accessors) {
            corrected.add(accessor.correctedNs());
            uncorrected.add(accessor.uncorrectedNs());
            touches += accessor.touches();
            long[] pages = accessor.touchedPages();
            if (union == null) {
                union = pages.clone();
            } else {
                for (int i = 0; i < union.length; i++) {
                    union[i] |= pages[i];
                }
            }
        }
        long distinct = 0;
        if (union != null) {
            for (long word : union) {
                distinct += Long.bitCount(word);
            }
        }
        return new GuestObservation(corrected, uncorrected, touches, distinct);
    }

    /**
     * @param correctedNs   fault latencies corrected for coordinated omission, in ns
     * @param uncorrectedNs fault latencies as measured, in ns
     * @param touches       paced page touches
     * @param distinctPages pages touched at least once: the guest's working set during the migration
     */
    record GuestObservation(Histogram correctedNs, Histogram uncorrectedNs, long touches, long distinctPages) {
    }
}
