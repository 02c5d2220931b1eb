package io.postcopy.bench;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.migration.DestinationPageSink;
import io.postcopy.engine.migration.InProcessPageLink;
import io.postcopy.engine.migration.SourcePageServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * A software fault resolved in-process, end to end: the vCPU's accessor misses, the engine records the fault and
 * sends the request (to an in-process source on the same thread), the page is copied from the source's memory
 * and installed, the cached bit is published, the vCPU goes on. One invocation faults every page of a fresh
 * destination once; the score is nanoseconds per fault.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SoftwareFaultBenchmark {
    private static final int PAGES = 4096;

    private GuestMemory sourceMemory;
    private SoftwareBackend destination;
    private GuestAccessor accessor;

    @Setup(Level.Trial)
    public void setUpSource() {
        sourceMemory = GuestMemory.allocate((long) PAGES * 4096, 4096);
        for (long offset = 0; offset < sourceMemory.lengthInBytes(); offset += 8) {
            sourceMemory.segment().set(ValueLayout.JAVA_LONG, offset, offset | 1);
        }
    }

    @Setup(Level.Invocation)
    public void setUpDestination() {
        destination = new SoftwareBackend(FaultEngineContext.of(new MemoryGeometry((long) PAGES * 4096, 4096), 1,
            16));
        destination.engine().attachSource(new InProcessPageLink(new SourcePageServer(sourceMemory),
            new DestinationPageSink(destination)));
        accessor = destination.vcpuAccessor(0);
    }

    @TearDown(Level.Invocation)
    public void tearDownDestination() {
        destination.close();
    }

    @TearDown(Level.Trial)
    public void tearDownSource() {
        sourceMemory.close();
    }

    /** Faults in every page once. */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long faultEveryPage() {
        long sum = 0;
        for (long page = 0; page < PAGES; page++) {
            sum += accessor.getLong(page * 4096);
        }
        return sum;
    }
}
