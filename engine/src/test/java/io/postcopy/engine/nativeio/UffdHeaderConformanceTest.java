package io.postcopy.engine.nativeio;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compares every userfaultfd constant, struct size and field offset the Java bindings use with the system's
 * {@code <linux/userfaultfd.h>} (and the libc headers), by compiling and running a C program that prints them.
 * Skipped, with the reason, when gcc is missing: never silently passed.
 */
class UffdHeaderConformanceTest {
    private static final long GCC_TIMEOUT_SECONDS = 60;

    @TempDir
    Path workDir;

    @Test
    void shouldMatchSystemHeadersWhenCompiledWithGcc() throws Exception {
        Map<String, Long> expected = javaValues();
        Map<String, Long> actual = compileAndRun(expected.keySet().stream().toList());
        for (Map.Entry<String, Long> entry : expected.entrySet()) {
            assertTrue(actual.containsKey(entry.getKey()), "C program did not print " + entry.getKey());
            assertEquals(actual.get(entry.getKey()), entry.getValue(),
                entry.getKey() + ": Java has " + entry.getValue() + ", the system header has "
                    + actual.get(entry.getKey()));
        }
    }

    private static Map<String, Long> javaValues() {
        Map<String, Long> v = new LinkedHashMap<>();
        v.put("SYS_userfaultfd", UffdStructs.SYS_USERFAULTFD);
        v.put("UFFD_USER_MODE_ONLY", (long) UffdStructs.UFFD_USER_MODE_ONLY);
        v.put("O_CLOEXEC", (long) UffdStructs.O_CLOEXEC);
        v.put("O_NONBLOCK", (long) UffdStructs.O_NONBLOCK);
        v.put("O_RDWR", (long) UffdStructs.O_RDWR);
        v.put("UFFD_API", UffdStructs.UFFD_API);
        v.put("USERFAULTFD_IOC_NEW", UffdStructs.USERFAULTFD_IOC_NEW);
        v.put("UFFDIO_API", UffdStructs.UFFDIO_API);
        v.put("UFFDIO_REGISTER", UffdStructs.UFFDIO_REGISTER);
        v.put("UFFDIO_UNREGISTER", UffdStructs.UFFDIO_UNREGISTER);
        v.put("UFFDIO_WAKE", UffdStructs.UFFDIO_WAKE);
        v.put("UFFDIO_COPY", UffdStructs.UFFDIO_COPY);
        v.put("UFFDIO_ZEROPAGE", UffdStructs.UFFDIO_ZEROPAGE);
        v.put("_UFFDIO_REGISTER", (long) UffdStructs.UFFDIO_REGISTER_BIT);
        v.put("_UFFDIO_UNREGISTER", (long) UffdStructs.UFFDIO_UNREGISTER_BIT);
        v.put("_UFFDIO_WAKE", (long) UffdStructs.UFFDIO_WAKE_BIT);
        v.put("_UFFDIO_COPY", (long) UffdStructs.UFFDIO_COPY_BIT);
        v.put("_UFFDIO_ZEROPAGE", (long) UffdStructs.UFFDIO_ZEROPAGE_BIT);
        v.put("_UFFDIO_API", (long) UffdStructs.UFFDIO_API_BIT);
        v.put("UFFD_FEATURE_EVENT_REMOVE", UffdStructs.UFFD_FEATURE_EVENT_REMOVE);
        v.put("UFFD_FEATURE_EVENT_UNMAP", UffdStructs.UFFD_FEATURE_EVENT_UNMAP);
        v.put("UFFD_FEATURE_THREAD_ID", UffdStructs.UFFD_FEATURE_THREAD_ID);
        v.put("UFFDIO_REGISTER_MODE_MISSING", UffdStructs.UFFDIO_REGISTER_MODE_MISSING);
        v.put("UFFDIO_COPY_MODE_DONTWAKE", UffdStructs.UFFDIO_COPY_MODE_DONTWAKE);
        v.put("UFFDIO_ZEROPAGE_MODE_DONTWAKE", UffdStructs.UFFDIO_ZEROPAGE_MODE_DONTWAKE);
        v.put("UFFD_EVENT_PAGEFAULT", (long) UffdStructs.UFFD_EVENT_PAGEFAULT);
        v.put("UFFD_EVENT_FORK", (long) UffdStructs.UFFD_EVENT_FORK);
        v.put("UFFD_EVENT_REMAP", (long) UffdStructs.UFFD_EVENT_REMAP);
        v.put("UFFD_EVENT_REMOVE", (long) UffdStructs.UFFD_EVENT_REMOVE);
        v.put("UFFD_EVENT_UNMAP", (long) UffdStructs.UFFD_EVENT_UNMAP);
        v.put("UFFD_PAGEFAULT_FLAG_WRITE", UffdStructs.UFFD_PAGEFAULT_FLAG_WRITE);

        v.put("sizeof(struct uffd_msg)", UffdStructs.UFFD_MSG.byteSize());
        v.put("sizeof(struct uffdio_api)", UffdStructs.UFFDIO_API_STRUCT.byteSize());
        v.put("sizeof(struct uffdio_range)", UffdStructs.UFFDIO_RANGE.byteSize());
        v.put("sizeof(struct uffdio_register)", UffdStructs.UFFDIO_REGISTER_STRUCT.byteSize());
        v.put("sizeof(struct uffdio_copy)", UffdStructs.UFFDIO_COPY_STRUCT.byteSize());
        v.put("sizeof(struct uffdio_zeropage)", UffdStructs.UFFDIO_ZEROPAGE_STRUCT.byteSize());
        v.put("sizeof(struct pollfd)", Poll.POLLFD.byteSize());
        v.put("offsetof(struct uffdio_api, features)", UffdStructs.API_FEATURES_OFFSET);
        v.put("offsetof(struct uffdio_api, ioctls)", UffdStructs.API_IOCTLS_OFFSET);
        v.put("offsetof(struct uffdio_range, len)", UffdStructs.RANGE_LEN_OFFSET);
        v.put("offsetof(struct uffdio_register, mode)", UffdStructs.REGISTER_MODE_OFFSET);
        v.put("offsetof(struct uffdio_register, ioctls)", UffdStructs.REGISTER_IOCTLS_OFFSET);
        v.put("offsetof(struct uffdio_copy, src)", UffdStructs.COPY_SRC_OFFSET);
        v.put("offsetof(struct uffdio_copy, len)", UffdStructs.COPY_LEN_OFFSET);
        v.put("offsetof(struct uffdio_copy, mode)", UffdStructs.COPY_MODE_OFFSET);
        v.put("offsetof(struct uffdio_copy, copy)", UffdStructs.COPY_COPY_OFFSET);
        v.put("offsetof(struct uffdio_zeropage, mode)", UffdStructs.ZEROPAGE_MODE_OFFSET);
        v.put("offsetof(struct uffdio_zeropage, zeropage)", UffdStructs.ZEROPAGE_ZEROPAGE_OFFSET);
        v.put("offsetof(struct uffd_msg, arg.pagefault.flags)", UffdStructs.MSG_PAGEFAULT_FLAGS_OFFSET);
        v.put("offsetof(struct uffd_msg, arg.pagefault.address)", UffdStructs.MSG_PAGEFAULT_ADDRESS_OFFSET);
        v.put("offsetof(struct uffd_msg, arg.pagefault.feat.ptid)", UffdStructs.MSG_PAGEFAULT_PTID_OFFSET);
        v.put("sizeof(((struct uffd_msg *) 0)->arg.pagefault.feat.ptid)", UffdStructs.UFFD_MSG.select(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("arg"),
            java.lang.foreign.MemoryLayout.PathElement.groupElement("pagefault"),
            java.lang.foreign.MemoryLayout.PathElement.groupElement("ptid")).byteSize());
        v.put("offsetof(struct uffd_msg, arg.remove.start)", UffdStructs.MSG_REMOVE_START_OFFSET);
        v.put("offsetof(struct uffd_msg, arg.remove.end)", UffdStructs.MSG_REMOVE_END_OFFSET);
        v.put("offsetof(struct uffd_msg, arg.remap.from)", UffdStructs.MSG_REMAP_FROM_OFFSET);
        v.put("offsetof(struct uffd_msg, arg.remap.to)", UffdStructs.MSG_REMAP_TO_OFFSET);
        v.put("offsetof(struct uffd_msg, arg.remap.len)", UffdStructs.MSG_REMAP_LEN_OFFSET);
        v.put("offsetof(struct pollfd, events)", 4L);
        v.put("offsetof(struct pollfd, revents)", 6L);

        v.put("POLLIN", (long) Poll.POLLIN);
        v.put("POLLERR", (long) Poll.POLLERR);
        v.put("POLLHUP", (long) Poll.POLLHUP);
        v.put("POLLNVAL", (long) Poll.POLLNVAL);
        v.put("EFD_CLOEXEC", (long) EventFd.EFD_CLOEXEC);
        v.put("EFD_NONBLOCK", (long) EventFd.EFD_NONBLOCK);
        v.put("PROT_READ", (long) Mman.PROT_READ);
        v.put("PROT_WRITE", (long) Mman.PROT_WRITE);
        v.put("MAP_PRIVATE", (long) Mman.MAP_PRIVATE);
        v.put("MAP_ANONYMOUS", (long) Mman.MAP_ANONYMOUS);
        v.put("MAP_NORESERVE", (long) Mman.MAP_NORESERVE);
        v.put("MADV_DONTNEED", (long) Mman.MADV_DONTNEED);
        v.put("EPERM", (long) Libc.EPERM);
        v.put("ENOENT", (long) Libc.ENOENT);
        v.put("ESRCH", (long) Libc.ESRCH);
        v.put("EINTR", (long) Libc.EINTR);
        v.put("EBADF", (long) Libc.EBADF);
        v.put("EAGAIN", (long) Libc.EAGAIN);
        v.put("ENOMEM", (long) Libc.ENOMEM);
        v.put("EFAULT", (long) Libc.EFAULT);
        v.put("EEXIST", (long) Libc.EEXIST);
        v.put("EINVAL", (long) Libc.EINVAL);
        v.put("ENOSYS", (long) Libc.ENOSYS);
        return v;
    }

    private Map<String, Long> compileAndRun(List<String> names) throws IOException, InterruptedException {
        Path gcc = findOnPath("gcc");
        Assumptions.assumeTrue(gcc != null, "gcc not found on PATH: cannot check the bindings against "
            + "<linux/userfaultfd.h>");
        StringBuilder c = new StringBuilder("""
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <linux/userfaultfd.h>
            #include <poll.h>
            #include <stddef.h>
            #include <stdio.h>
            #include <sys/eventfd.h>
            #include <sys/ioctl.h>
            #include <sys/mman.h>
            #include <sys/syscall.h>
            int main(void) {
            """);
        for (String name : names) {
            c.append("    printf(\"%s=%lld\\n\", \"").append(name).append("\", (long long) (")
                .append(name.startsWith("offsetof(") ? offsetofExpression(name) : name).append("));\n");
        }
        c.append("    return 0;\n}\n");
        Path source = workDir.resolve("uffd_header.c");
        Path binary = workDir.resolve("uffd_header");
        Files.writeString(source, c, StandardCharsets.UTF_8);
        String compileOutput = run(List.of(gcc.toString(), "-o", binary.toString(), source.toString()));
        // A compile error is a failure, not a skip: it may be a wrong name on the Java side.
        assertTrue(Files.isExecutable(binary), "gcc could not build the header probe program: " + compileOutput);
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : run(List.of(binary.toString())).split("\n")) {
            int eq = line.lastIndexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
            }
        }
        return values;
    }

    /** Turns {@code offsetof(struct s, a.b)} into a portable expression that also works for nested members. */
    private static String offsetofExpression(String name) {
        String inner = name.substring("offsetof(".length(), name.length() - 1);
        int comma = inner.indexOf(',');
        String type = inner.substring(0, comma).trim();
        String member = inner.substring(comma + 1).trim();
        return "(char *) &((" + type + " *) 0)->" + member + " - (char *) 0";
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(GCC_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command + " did not finish within " + GCC_TIMEOUT_SECONDS + " s");
        }
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static Path findOnPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
