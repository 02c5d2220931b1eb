package io.postcopy.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * VCPU_STATE (0x21): one vCPU's state, opaque to the protocol (the engine defines its layout). Sent by the source
 * on the CONTROL connection after SWITCHOVER, once per vCPU.
 *
 * @param vcpuId the vCPU, u32 (at most 2^31-1)
 * @param state  0..{@link #MAX_STATE_LENGTH_IN_BYTES} bytes; copied on construction and on access
 */
public record VcpuState(int vcpuId, byte[] state) implements Message {
    /** Fixed part of the body: vCPU id (u32) and state length (u32). */
    public static final int FIXED_BODY_LENGTH_IN_BYTES = 8;
    /** Largest state that fits one frame. */
    public static final int MAX_STATE_LENGTH_IN_BYTES = Protocol.MAX_BODY_LENGTH_IN_BYTES - FIXED_BODY_LENGTH_IN_BYTES;

    /** Validates the ranges and copies the array; see the record's parameters. */
    public VcpuState {
        Checks.nonNegative(vcpuId, "vcpuId");
        Checks.notNull(state, "state");
        if (state.length > MAX_STATE_LENGTH_IN_BYTES) {
            throw ProtocolException.invalidArgument("state.length=" + state.length + " (expected: <= "
                + MAX_STATE_LENGTH_IN_BYTES + ")");
        }
        state = state.clone();
    }

    /** A copy of the state bytes. */
    @Override
    public byte[] state() {
        return state.clone();
    }

    /** Length of the state, in bytes. */
    public int stateLengthInBytes() {
        return state.length;
    }

    @Override
    public MessageType type() {
        return MessageType.VCPU_STATE;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof VcpuState that && vcpuId == that.vcpuId && Arrays.equals(state, that.state);
    }

    @Override
    public int hashCode() {
        return 31 * vcpuId + Arrays.hashCode(state);
    }

    @Override
    public String toString() {
        return "VcpuState[vcpuId=" + vcpuId + ", state="
            + HexFormat.of().formatHex(state, 0, Math.min(state.length, 32)) + (state.length > 32 ? "..." : "")
            + "]";
    }
}
