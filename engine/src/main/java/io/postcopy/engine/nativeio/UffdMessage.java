package io.postcopy.engine.nativeio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A flyweight over one {@code struct uffd_msg} in a read buffer: {@link #wrap} it at a message, then read the
 * fields of its event. Allocates nothing, so the handler can decode a batch of faults without garbage.
 *
 * <p>Owned by one thread (the handler that read the buffer); valid until the buffer is reused.
 */
public final class UffdMessage {
    /** {@code sizeof(struct uffd_msg)}. */
    public static final long SIZE_IN_BYTES = UffdStructs.UFFD_MSG.byteSize();

    private MemorySegment buffer = MemorySegment.NULL;
    private long offset;

    /**
     * Points this flyweight at message {@code index} of {@code buffer}.
     *
     * @return this
     */
    public UffdMessage wrap(MemorySegment buffer, int index) {
        this.buffer = buffer;
        this.offset = index * SIZE_IN_BYTES;
        return this;
    }

    /** {@code event}: one of {@code UffdStructs.UFFD_EVENT_*}, as an unsigned value. */
    public int event() {
        return Byte.toUnsignedInt(buffer.get(ValueLayout.JAVA_BYTE, offset));
    }

    /** {@code arg.pagefault.flags}: {@link UffdStructs#UFFD_PAGEFAULT_FLAG_WRITE} etc. */
    public long pagefaultFlags() {
        return field(UffdStructs.MSG_PAGEFAULT_FLAGS_OFFSET);
    }

    /** {@code arg.pagefault.address}: the faulting address, rounded down to its page (unless EXACT_ADDRESS). */
    public long pagefaultAddress() {
        return field(UffdStructs.MSG_PAGEFAULT_ADDRESS_OFFSET);
    }

    /** {@code arg.pagefault.feat.ptid}: the faulting thread's id with THREAD_ID, else 0. */
    public int pagefaultThreadId() {
        return buffer.get(ValueLayout.JAVA_INT_UNALIGNED, offset + UffdStructs.MSG_PAGEFAULT_PTID_OFFSET);
    }

    /** {@code arg.remove.start}: first byte of a REMOVE or UNMAP range. */
    public long removeStart() {
        return field(UffdStructs.MSG_REMOVE_START_OFFSET);
    }

    /** {@code arg.remove.end}: one past the last byte of a REMOVE or UNMAP range. */
    public long removeEnd() {
        return field(UffdStructs.MSG_REMOVE_END_OFFSET);
    }

    /** {@code arg.remap.from}. */
    public long remapFrom() {
        return field(UffdStructs.MSG_REMAP_FROM_OFFSET);
    }

    /** {@code arg.remap.to}. */
    public long remapTo() {
        return field(UffdStructs.MSG_REMAP_TO_OFFSET);
    }

    /** {@code arg.remap.len}. */
    public long remapLength() {
        return field(UffdStructs.MSG_REMAP_LEN_OFFSET);
    }

    @Override
    public String toString() {
        return switch (event()) {
            case UffdStructs.UFFD_EVENT_PAGEFAULT -> "PAGEFAULT(address=0x" + Long.toHexString(pagefaultAddress())
                + ", flags=" + pagefaultFlags() + ")";
            case UffdStructs.UFFD_EVENT_REMOVE, UffdStructs.UFFD_EVENT_UNMAP -> (event()
                == UffdStructs.UFFD_EVENT_REMOVE ? "REMOVE" : "UNMAP") + "(0x" + Long.toHexString(removeStart())
                + "..0x" + Long.toHexString(removeEnd()) + ")";
            default -> "event 0x" + Integer.toHexString(event());
        };
    }

    private long field(long fieldOffset) {
        return buffer.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + fieldOffset);
    }
}
