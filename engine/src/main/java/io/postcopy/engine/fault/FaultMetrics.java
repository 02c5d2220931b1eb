package io.postcopy.engine.fault;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postcopy.engine.memory.PageBitmap;

import java.util.concurrent.TimeUnit;

/** The fault engine's Micrometer meters; names are documented in the README's metrics table. */
final class FaultMetrics {
    final Counter faults;
    final Counter coalescedFaults;
    final Counter asyncRequests;
    final Counter asyncRejected;
    final Counter pagesCached;
    final Timer faultLatency;
    private final Timer[] blocktimeByVcpu;

    FaultMetrics(MeterRegistry registry, int syncSlots, PageBitmap cached) {
        faults = Counter.builder("postcopy.faults").description("faults that caused a page fetch")
            .register(registry);
        coalescedFaults = Counter.builder("postcopy.faults.coalesced")
            .description("faults on a page another thread had already requested").register(registry);
        asyncRequests = Counter.builder("postcopy.requests.async").description("async (prefetch) requests queued")
            .register(registry);
        asyncRejected = Counter.builder("postcopy.requests.async.rejected")
            .description("async requests refused because the queue was full").register(registry);
        pagesCached = Counter.builder("postcopy.pages.cached").description("pages installed")
            .register(registry);
        faultLatency = Timer.builder("postcopy.fault.latency").description("fault to wake-up")
            .publishPercentiles(0.5, 0.99, 0.999).register(registry);
        blocktimeByVcpu = new Timer[syncSlots];
        for (int slot = 0; slot < syncSlots; slot++) {
            blocktimeByVcpu[slot] = Timer.builder("postcopy.vcpu.blocktime").tag("vcpu", Integer.toString(slot))
                .description("time a vCPU spent blocked on missing pages").register(registry);
        }
        registry.gauge("postcopy.pages.present", cached, PageBitmap::cardinality);
    }

    /** A vCPU's time blocked on a kernel fault (userfaultfd), measured by the backend. */
    void recordBlocktime(int slot, long blockedNs) {
        blocktimeByVcpu[slot].record(blockedNs, TimeUnit.NANOSECONDS);
    }

    void recordResolved(int slot, long latencyNs) {
        faultLatency.record(latencyNs, TimeUnit.NANOSECONDS);
        if (slot >= 0) {
            blocktimeByVcpu[slot].record(latencyNs, TimeUnit.NANOSECONDS);
        }
    }
}
