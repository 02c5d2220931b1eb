package io.postcopy.engine.nativeio;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The constants and struct layouts of Linux {@code <linux/userfaultfd.h>} (x86_64) that this project uses.
 * Every value and every offset here is compared with the system header by {@code UffdHeaderConformanceTest},
 * which compiles and runs a C program; nothing is trusted from memory.
 */
public final class UffdStructs {
    /** {@code SYS_userfaultfd} on x86_64. */
    public static final long SYS_USERFAULTFD = 323;
    /** {@code UFFD_USER_MODE_ONLY}: only faults raised in user mode; allowed without privilege. */
    public static final int UFFD_USER_MODE_ONLY = 1;
    /** {@code O_CLOEXEC}. */
    public static final int O_CLOEXEC = 0x80000;
    /** {@code O_NONBLOCK}: read(2) on an empty uffd returns EAGAIN. */
    public static final int O_NONBLOCK = 0x800;
    /** {@code O_RDWR}. */
    public static final int O_RDWR = 2;

    /** {@code UFFD_API}: the API number asked for in {@code uffdio_api.api}. */
    public static final long UFFD_API = 0xAA;
    /** {@code USERFAULTFD_IOC_NEW} on {@code /dev/userfaultfd}: returns a new uffd. */
    public static final long USERFAULTFD_IOC_NEW = 0xAA00L;
    /** {@code UFFDIO_API} = {@code _IOWR(0xAA, 0x3F, struct uffdio_api)}. */
    public static final long UFFDIO_API = 0xC018AA3FL;
    /** {@code UFFDIO_REGISTER} = {@code _IOWR(0xAA, 0x00, struct uffdio_register)}. */
    public static final long UFFDIO_REGISTER = 0xC020AA00L;
    /** {@code UFFDIO_UNREGISTER} = {@code _IOR(0xAA, 0x01, struct uffdio_range)}. */
    public static final long UFFDIO_UNREGISTER = 0x8010AA01L;
    /** {@code UFFDIO_WAKE} = {@code _IOR(0xAA, 0x02, struct uffdio_range)}. */
    public static final long UFFDIO_WAKE = 0x8010AA02L;
    /** {@code UFFDIO_COPY} = {@code _IOWR(0xAA, 0x03, struct uffdio_copy)}. */
    public static final long UFFDIO_COPY = 0xC028AA03L;
    /** {@code UFFDIO_ZEROPAGE} = {@code _IOWR(0xAA, 0x04, struct uffdio_zeropage)}. */
    public static final long UFFDIO_ZEROPAGE = 0xC020AA04L;

    /** Bit number {@code _UFFDIO_REGISTER} in the ioctls masks the kernel answers. */
    public static final int UFFDIO_REGISTER_BIT = 0x00;
    /** Bit number {@code _UFFDIO_UNREGISTER}. */
    public static final int UFFDIO_UNREGISTER_BIT = 0x01;
    /** Bit number {@code _UFFDIO_WAKE}. */
    public static final int UFFDIO_WAKE_BIT = 0x02;
    /** Bit number {@code _UFFDIO_COPY}. */
    public static final int UFFDIO_COPY_BIT = 0x03;
    /** Bit number {@code _UFFDIO_ZEROPAGE}. */
    public static final int UFFDIO_ZEROPAGE_BIT = 0x04;
    /** Bit number {@code _UFFDIO_API}. */
    public static final int UFFDIO_API_BIT = 0x3F;

    /** {@code UFFD_FEATURE_EVENT_REMOVE}: madvise(MADV_DONTNEED/MADV_REMOVE) on the range is reported. */
    public static final long UFFD_FEATURE_EVENT_REMOVE = 1L << 3;
    /** {@code UFFD_FEATURE_EVENT_UNMAP}: munmap of (part of) the range is reported. */
    public static final long UFFD_FEATURE_EVENT_UNMAP = 1L << 6;
    /** {@code UFFD_FEATURE_THREAD_ID}: page-fault messages carry the faulting thread's id. */
    public static final long UFFD_FEATURE_THREAD_ID = 1L << 8;

    /** {@code UFFDIO_REGISTER_MODE_MISSING}: fault on pages that are not present. */
    public static final long UFFDIO_REGISTER_MODE_MISSING = 1L;
    /** {@code UFFDIO_COPY_MODE_DONTWAKE}: install without waking the faulting threads (not used here). */
    public static final long UFFDIO_COPY_MODE_DONTWAKE = 1L;
    /** {@code UFFDIO_ZEROPAGE_MODE_DONTWAKE}. */
    public static final long UFFDIO_ZEROPAGE_MODE_DONTWAKE = 1L;

    /** {@code UFFD_EVENT_PAGEFAULT}. */
    public static final int UFFD_EVENT_PAGEFAULT = 0x12;
    /** {@code UFFD_EVENT_FORK}. */
    public static final int UFFD_EVENT_FORK = 0x13;
    /** {@code UFFD_EVENT_REMAP}. */
    public static final int UFFD_EVENT_REMAP = 0x14;
    /** {@code UFFD_EVENT_REMOVE}. */
    public static final int UFFD_EVENT_REMOVE = 0x15;
    /** {@code UFFD_EVENT_UNMAP}. */
    public static final int UFFD_EVENT_UNMAP = 0x16;
    /** {@code UFFD_PAGEFAULT_FLAG_WRITE}: the fault was a write. */
    public static final long UFFD_PAGEFAULT_FLAG_WRITE = 1L;

    /** {@code struct uffdio_range}. */
    public static final StructLayout UFFDIO_RANGE = MemoryLayout.structLayout(
        ValueLayout.JAVA_LONG.withName("start"), ValueLayout.JAVA_LONG.withName("len"));
    /** {@code struct uffdio_api}. */
    public static final StructLayout UFFDIO_API_STRUCT = MemoryLayout.structLayout(
        ValueLayout.JAVA_LONG.withName("api"), ValueLayout.JAVA_LONG.withName("features"),
        ValueLayout.JAVA_LONG.withName("ioctls"));
    /** {@code struct uffdio_register}. */
    public static final StructLayout UFFDIO_REGISTER_STRUCT = MemoryLayout.structLayout(
        UFFDIO_RANGE.withName("range"), ValueLayout.JAVA_LONG.withName("mode"),
        ValueLayout.JAVA_LONG.withName("ioctls"));
    /** {@code struct uffdio_copy}. */
    public static final StructLayout UFFDIO_COPY_STRUCT = MemoryLayout.structLayout(
        ValueLayout.JAVA_LONG.withName("dst"), ValueLayout.JAVA_LONG.withName("src"),
        ValueLayout.JAVA_LONG.withName("len"), ValueLayout.JAVA_LONG.withName("mode"),
        ValueLayout.JAVA_LONG.withName("copy"));
    /** {@code struct uffdio_zeropage}. */
    public static final StructLayout UFFDIO_ZEROPAGE_STRUCT = MemoryLayout.structLayout(
        UFFDIO_RANGE.withName("range"), ValueLayout.JAVA_LONG.withName("mode"),
        ValueLayout.JAVA_LONG.withName("zeropage"));
    /** {@code struct uffd_msg} (packed, 32 bytes); the {@code arg} union holds the event's fields. */
    public static final StructLayout UFFD_MSG = MemoryLayout.structLayout(
        ValueLayout.JAVA_BYTE.withName("event"),
        ValueLayout.JAVA_BYTE.withName("reserved1"),
        ValueLayout.JAVA_SHORT.withName("reserved2"),
        ValueLayout.JAVA_INT.withName("reserved3"),
        MemoryLayout.unionLayout(
            MemoryLayout.structLayout(
                ValueLayout.JAVA_LONG.withName("flags"), ValueLayout.JAVA_LONG.withName("address"),
                ValueLayout.JAVA_INT.withName("ptid"), MemoryLayout.paddingLayout(4)).withName("pagefault"),
            MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("ufd")).withName("fork"),
            MemoryLayout.structLayout(
                ValueLayout.JAVA_LONG.withName("from"), ValueLayout.JAVA_LONG.withName("to"),
                ValueLayout.JAVA_LONG.withName("len")).withName("remap"),
            MemoryLayout.structLayout(
                ValueLayout.JAVA_LONG.withName("start"), ValueLayout.JAVA_LONG.withName("end")).withName("remove")
        ).withName("arg"));

    /** Offset of {@code uffdio_api.features}. */
    public static final long API_FEATURES_OFFSET = UFFDIO_API_STRUCT.byteOffset(PathElement.groupElement("features"));
    /** Offset of {@code uffdio_api.ioctls}. */
    public static final long API_IOCTLS_OFFSET = UFFDIO_API_STRUCT.byteOffset(PathElement.groupElement("ioctls"));
    /** Offset of {@code uffdio_range.len}. */
    public static final long RANGE_LEN_OFFSET = UFFDIO_RANGE.byteOffset(PathElement.groupElement("len"));
    /** Offset of {@code uffdio_register.mode}. */
    public static final long REGISTER_MODE_OFFSET = UFFDIO_REGISTER_STRUCT.byteOffset(
        PathElement.groupElement("mode"));
    /** Offset of {@code uffdio_register.ioctls}. */
    public static final long REGISTER_IOCTLS_OFFSET = UFFDIO_REGISTER_STRUCT.byteOffset(
        PathElement.groupElement("ioctls"));
    /** Offset of {@code uffdio_copy.src}. */
    public static final long COPY_SRC_OFFSET = UFFDIO_COPY_STRUCT.byteOffset(PathElement.groupElement("src"));
    /** Offset of {@code uffdio_copy.len}. */
    public static final long COPY_LEN_OFFSET = UFFDIO_COPY_STRUCT.byteOffset(PathElement.groupElement("len"));
    /** Offset of {@code uffdio_copy.mode}. */
    public static final long COPY_MODE_OFFSET = UFFDIO_COPY_STRUCT.byteOffset(PathElement.groupElement("mode"));
    /** Offset of {@code uffdio_copy.copy}: bytes copied, or a negative errno, written by the kernel. */
    public static final long COPY_COPY_OFFSET = UFFDIO_COPY_STRUCT.byteOffset(PathElement.groupElement("copy"));
    /** Offset of {@code uffdio_zeropage.mode}. */
    public static final long ZEROPAGE_MODE_OFFSET = UFFDIO_ZEROPAGE_STRUCT.byteOffset(
        PathElement.groupElement("mode"));
    /** Offset of {@code uffdio_zeropage.zeropage}: bytes zeroed, or a negative errno. */
    public static final long ZEROPAGE_ZEROPAGE_OFFSET = UFFDIO_ZEROPAGE_STRUCT.byteOffset(
        PathElement.groupElement("zeropage"));
    /** Offset of {@code uffd_msg.arg.pagefault.flags}. */
    public static final long MSG_PAGEFAULT_FLAGS_OFFSET = msgOffset("pagefault", "flags");
    /** Offset of {@code uffd_msg.arg.pagefault.address}. */
    public static final long MSG_PAGEFAULT_ADDRESS_OFFSET = msgOffset("pagefault", "address");
    /** Offset of {@code uffd_msg.arg.pagefault.feat.ptid}. */
    public static final long MSG_PAGEFAULT_PTID_OFFSET = msgOffset("pagefault", "ptid");
    /** Offset of {@code uffd_msg.arg.remove.start} (also {@code unmap}'s start). */
    public static final long MSG_REMOVE_START_OFFSET = msgOffset("remove", "start");
    /** Offset of {@code uffd_msg.arg.remove.end}. */
    public static final long MSG_REMOVE_END_OFFSET = msgOffset("remove", "end");
    /** Offset of {@code uffd_msg.arg.remap.from}. */
    public static final long MSG_REMAP_FROM_OFFSET = msgOffset("remap", "from");
    /** Offset of {@code uffd_msg.arg.remap.to}. */
    public static final long MSG_REMAP_TO_OFFSET = msgOffset("remap", "to");
    /** Offset of {@code uffd_msg.arg.remap.len}. */
    public static final long MSG_REMAP_LEN_OFFSET = msgOffset("remap", "len");

    private UffdStructs() {
    }

    private static long msgOffset(String variant, String field) {
        return UFFD_MSG.byteOffset(PathElement.groupElement("arg"), PathElement.groupElement(variant),
            PathElement.groupElement(field));
    }
}
