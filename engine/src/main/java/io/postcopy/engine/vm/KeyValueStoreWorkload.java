package io.postcopy.engine.vm;

import io.postcopy.engine.backend.GuestAccessor;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A self-verifying key-value store: guest memory is an array of 64-byte records
 * {@code [key, version, value0..value4, checksum]}, each owned by one vCPU (record index modulo vCPU count).
 * A step reads one of the vCPU's records and checks it (key, values derived from key and version, checksum),
 * and half the time writes the next version. A lost, stale-but-torn, misplaced or zeroed page breaks a record.
 */
public final class KeyValueStoreWorkload implements Workload {
    /** Bytes per record. */
    public static final int RECORD_BYTES = 64;
    private static final int VALUE_WORDS = 5;

    private final AtomicLong violations = new AtomicLong();
    private final AtomicReference<String> firstViolation = new AtomicReference<>("");

    @Override
    public String name() {
        return "kv";
    }

    @Override
    public void initialize(GuestAccessor memory, int vcpuCount) {
        long records = recordCount(memory);
        for (long index = 0; index < records; index++) {
            writeRecord(memory, index, 1);
        }
    }

    @Override
    public void step(Vcpu vcpu) {
        GuestAccessor memory = vcpu.memory();
        long records = recordCount(memory);
        long owned = Math.max(1, (records - vcpu.id() + vcpu.vcpuCount() - 1) / vcpu.vcpuCount());
        long index = vcpu.id() + vcpu.vcpuCount() * vcpu.nextLong(owned);
        if (index >= records) {
            return;
        }
        long version = checkRecord(memory, index);
        if (version > 0 && (vcpu.nextLong() & 1) == 0) {
            writeRecord(memory, index, version + 1);
        }
    }

    @Override
    public WorkloadCheck verify(GuestAccessor memory, int vcpuCount) {
        long records = recordCount(memory);
        for (long index = 0; index < records; index++) {
            checkRecord(memory, index);
        }
        return new WorkloadCheck(records, violations.get(), firstViolation.get());
    }

    private static long recordCount(GuestAccessor memory) {
        return memory.geometry().lengthInBytes() / RECORD_BYTES;
    }

    private static void writeRecord(GuestAccessor memory, long index, long version) {
        long base = index * RECORD_BYTES;
        long key = index + 1;
        long checksum = key * 31 + version;
        memory.putLong(base, key);
        memory.putLong(base + 8, version);
        for (int i = 0; i < VALUE_WORDS; i++) {
            long value = value(key, version, i);
            memory.putLong(base + 16 + 8L * i, value);
            checksum = checksum * 0x100000001B3L ^ value;
        }
        memory.putLong(base + 56, checksum);
    }

    /** Checks record {@code index}; returns its version, or 0 if it is broken (and counts the violation). */
    private long checkRecord(GuestAccessor memory, long index) {
        long base = index * RECORD_BYTES;
        long key = memory.getLong(base);
        long version = memory.getLong(base + 8);
        long checksum = key * 31 + version;
        boolean valuesOk = key == index + 1 && version > 0;
        for (int i = 0; i < VALUE_WORDS; i++) {
            long value = memory.getLong(base + 16 + 8L * i);
            valuesOk &= value == value(key, version, i);
            checksum = checksum * 0x100000001B3L ^ value;
        }
        if (!valuesOk || memory.getLong(base + 56) != checksum) {
            violations.incrementAndGet();
            firstViolation.compareAndSet("", "record " + index + " (key " + key + ", version " + version
                + ") fails its checksum");
            return 0;
        }
        return version;
    }

    private static long value(long key, long version, int word) {
        long z = key * 0x9E3779B97F4A7C15L + version * 0xD1B54A32D192ED03L + word;
        z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 29);
    }
}
