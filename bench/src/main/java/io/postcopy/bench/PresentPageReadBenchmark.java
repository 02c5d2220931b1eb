package io.postcopy.bench;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Reading a present page through the software backend's accessor (cached-bit check, then the load) against a raw
 * {@link MemorySegment} read of the same address: random 8-byte reads over 256 MiB, and sequential reads.
 * Goal: accessor / raw &lt;= 1.3.
 *
 * <p>Run: {@code ./postcopy bench jmh PresentPageReadBenchmark}; {@code ./postcopy bench} runs it as part of the suite.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PresentPageReadBenchmark {
    private static final int OFFSETS = 1 << 20;

    @Param("268435456")
    long memoryBytes;

    private FaultBackend backend;
    private GuestAccessor accessor;
    private MemorySegment raw;
    private long[] randomOffsets;
    private int next;
    private long sequentialOffset;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new SoftwareBackend(FaultEngineContext.of(new MemoryGeometry(memoryBytes, 4096), 1, 16));
        for (long p = 0; p < backend.memory().pageCount(); p++) {
            backend.installZeroPage(p);
        }
        raw = backend.memory().segment();
        for (long offset = 0; offset < memoryBytes; offset += 8) {
            raw.set(ValueLayout.JAVA_LONG, offset, offset);
        }
        accessor = backend.vcpuAccessor(0);
        SplittableRandom random = new SplittableRandom(42);
        randomOffsets = new long[OFFSETS];
        for (int i = 0; i < OFFSETS; i++) {
            randomOffsets[i] = random.nextLong(memoryBytes / 8) * 8;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    /** Random read through the accessor. */
    @Benchmark
    public long randomAccessorRead() {
        return accessor.getLong(randomOffsets[next++ & (OFFSETS - 1)]);
    }

    /** Random read of the raw segment: the baseline. */
    @Benchmark
    public long randomRawRead() {
        return raw.get(ValueLayout.JAVA_LONG, randomOffsets[next++ & (OFFSETS - 1)]);
    }

    /** Sequential read through the accessor. */
    @Benchmark
    public long sequentialAccessorRead() {
        long offset = sequentialOffset;
        sequentialOffset = offset + 8 == memoryBytes ? 0 : offset + 8;
        return accessor.getLong(offset);
    }

    /** Sequential read of the raw segment: the baseline. */
    @Benchmark
    public long sequentialRawRead() {
        long offset = sequentialOffset;
        sequentialOffset = offset + 8 == memoryBytes ? 0 : offset + 8;
        return raw.get(ValueLayout.JAVA_LONG, offset);
    }
}
