package io.postcopy.engine.vm;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The architectural state of one simulated vCPU, as it crosses to the destination: its id, how many steps
 * (instructions) it has run, its random-number state and a workload cursor (its "program counter").
 *
 * @param vcpuId   0-based id; also its sync slot
 * @param steps    steps executed so far
 * @param rngState state of the vCPU's xorshift generator; never 0
 * @param cursor   the workload's position (for example the next offset of a sequential scan)
 */
public record VcpuState(int vcpuId, long steps, long rngState, long cursor) {
    /** Bytes of {@link #toBytes()}: u32 id, u32 reserved, u64 steps, u64 rngState, u64 cursor, little-endian. */
    public static final int ENCODED_LENGTH = 32;

    /** The initial state of vCPU {@code vcpuId} of a VM seeded with {@code seed}. */
    public static VcpuState initial(int vcpuId, long seed) {
        long rng = mix(seed + 0x9E3779B97F4A7C15L * (vcpuId + 1));
        return new VcpuState(vcpuId, 0, rng == 0 ? 1 : rng, 0);
    }

    /** Encodes as {@link #ENCODED_LENGTH} little-endian bytes. */
    public byte[] toBytes() {
        ByteBuffer buffer = ByteBuffer.allocate(ENCODED_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(vcpuId).putInt(0).putLong(steps).putLong(rngState).putLong(cursor);
        return buffer.array();
    }

    /**
     * Decodes what {@link #toBytes()} produced.
     *
     * @throws PostcopyException with {@code MALFORMED_FRAME} for a wrong length or a zero rng state
     */
    public static VcpuState fromBytes(byte[] bytes) {
        if (bytes.length != ENCODED_LENGTH) {
            throw new PostcopyException(ErrorCode.MALFORMED_FRAME,
                "vCPU state of " + bytes.length + " bytes (expected: " + ENCODED_LENGTH + ")");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int id = buffer.getInt();
        buffer.getInt();
        VcpuState state = new VcpuState(id, buffer.getLong(), buffer.getLong(), buffer.getLong());
        if (state.rngState == 0 || id < 0) {
            throw new PostcopyException(ErrorCode.MALFORMED_FRAME, "invalid vCPU state " + state);
        }
        return state;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
