package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.VcpuAccessorDecorator;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.memory.MemoryGeometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The destination's vCPU-accessor hook: every vCPU runs on the decorated accessor, the backend is untouched. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VcpuAccessorDecoratorTest {
    private static final long MEMORY_BYTES = 16L << 20;
    private static final int VCPUS = 2;

    @Test
    void shouldRunEveryVcpuOnDecoratedAccessorWhenDecoratorIsSet() throws Exception {
        CountingDecorator decorator = new CountingDecorator();
        try (SourceNode source = SourceNode.start(new SourceOptions("127.0.0.1", 0, MEMORY_BYTES, 4096, VCPUS, "kv",
            0, 11), new SimpleMeterRegistry())) {
            DestinationOptions options = new DestinationOptions("127.0.0.1", source.localAddress().getPort(),
                SoftwareBackend::new, 100, 60_000).withVcpuAccessorDecorator(decorator);
            DestinationResult result = DestinationNode.migrate(options, new SimpleMeterRegistry(), FaultListener.NONE,
                MigrationProgress.NONE);

            assertTrue(result.passed(), result.report().toString());
            assertEquals(Set.of(0, 1), decorator.accesses.keySet(), "decorated once per vCPU");
            for (Map.Entry<Integer, AtomicLong> vcpu : decorator.accesses.entrySet()) {
                assertTrue(vcpu.getValue().get() > 0, "vCPU " + vcpu.getKey() + " ran on its decorated accessor");
            }
            assertEquals(MEMORY_BYTES / 4096, decorator.pageCount, "the engine of the destination's backend");
            assertTrue(decorator.engine.completedAtNanos() != 0, "the engine saw memory complete");
        }
    }

    @Test
    void shouldKeepOptionsEqualWhenNoDecoratorIsGiven() {
        DestinationOptions plain = new DestinationOptions("h", 1, SoftwareBackend::new, 0, 1, 0);
        assertEquals(VcpuAccessorDecorator.NONE, plain.vcpuAccessorDecorator());
        assertEquals(VcpuAccessorDecorator.NONE, new DestinationOptions("h", 1, SoftwareBackend::new, 0, 1)
            .vcpuAccessorDecorator());
    }

    @Test
    void shouldKeepDecoratorAndKeepaliveWhenEitherIsChanged() {
        VcpuAccessorDecorator decorator = (vcpuId, accessor, engine) -> accessor;
        DestinationOptions options = new DestinationOptions("h", 1, SoftwareBackend::new, 0, 1, 0)
            .withVcpuAccessorDecorator(decorator).withKeepalive(50, 500);
        assertEquals(decorator, options.vcpuAccessorDecorator());
        assertEquals(500, options.withVcpuAccessorDecorator(VcpuAccessorDecorator.NONE).keepaliveTimeoutMs());
        assertEquals(decorator, options.withRecoveryTimeoutMs(0).vcpuAccessorDecorator());
    }

    /** Wraps each vCPU's accessor in one that counts its accesses. */
    private static final class CountingDecorator implements VcpuAccessorDecorator {
        final Map<Integer, AtomicLong> accesses = new ConcurrentHashMap<>();
        volatile long pageCount;
        volatile FaultEngine engine;

        @Override
        public GuestAccessor decorate(int vcpuId, GuestAccessor accessor, FaultEngine vcpuEngine) {
            AtomicLong count = new AtomicLong();
            if (accesses.putIfAbsent(vcpuId, count) != null) {
                throw new IllegalStateException("vCPU " + vcpuId + " decorated twice");
            }
            pageCount = vcpuEngine.geometry().pageCount();
            engine = vcpuEngine;
            return new Counting(accessor, count);
        }
    }

    private record Counting(GuestAccessor delegate, AtomicLong count) implements GuestAccessor {
        @Override
        public MemoryGeometry geometry() {
            return delegate.geometry();
        }

        @Override
        public long getLong(long offset) {
            count.incrementAndGet();
            return delegate.getLong(offset);
        }

        @Override
        public void putLong(long offset, long value) {
            count.incrementAndGet();
            delegate.putLong(offset, value);
        }

        @Override
        public int getInt(long offset) {
            count.incrementAndGet();
            return delegate.getInt(offset);
        }

        @Override
        public void putInt(long offset, int value) {
            count.incrementAndGet();
            delegate.putInt(offset, value);
        }

        @Override
        public byte getByte(long offset) {
            count.incrementAndGet();
            return delegate.getByte(offset);
        }

        @Override
        public void putByte(long offset, byte value) {
            count.incrementAndGet();
            delegate.putByte(offset, value);
        }

        @Override
        public void read(long offset, MemorySegment destination, long lengthInBytes) {
            count.incrementAndGet();
            delegate.read(offset, destination, lengthInBytes);
        }

        @Override
        public void write(long offset, MemorySegment source, long lengthInBytes) {
            count.incrementAndGet();
            delegate.write(offset, source, lengthInBytes);
        }
    }
}
