package io.postcopy.engine.vmclock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemoryLayout;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Compiles a C program against {@code <linux/vmclock-abi.h>} and compares every field's offset and size, the
 * struct's size and the header's constants with {@link VmClockLayout}. The machine's header is used when
 * installed; Debian's linux-libc-dev 6.1 does not ship it, so the test then uses an exact copy of the upstream
 * header (torvalds/linux include/uapi/linux/vmclock-abi.h) kept in the test resources. Skipped only without gcc.
 */
class VmClockLayoutAbiTest {
    private static final Path SYSTEM_HEADER = Path.of("/usr/include/linux/vmclock-abi.h");

    @Test
    void shouldMatchTheCLayoutWhenCompiledAgainstTheKernelHeader(@TempDir Path work) throws Exception {
        assumeTrue(isOnPath("gcc"), "gcc is not installed: cannot compile the layout probe");
        Path source = work.resolve("vmclock_layout.c");
        copyResource("vmclock_layout.c", source);
        List<String> command = new ArrayList<>(List.of("gcc", "-std=c11", "-Wall", "-Werror"));
        if (!Files.exists(SYSTEM_HEADER)) {
            Files.createDirectories(work.resolve("include/linux"));
            copyResource("vmclock-abi.h", work.resolve("include/linux/vmclock-abi.h"));
            command.addAll(List.of("-I", work.resolve("include").toString()));
        }
        Path binary = work.resolve("vmclock_layout");
        command.addAll(List.of("-o", binary.toString(), source.toString()));
        run(command);

        Map<String, long[]> fields = new HashMap<>();
        Map<String, Long> constants = new HashMap<>();
        long cSize = -1;
        for (String line : run(List.of(binary.toString()))) {
            String[] parts = line.split(" ");
            switch (parts[0]) {
                case "sizeof" -> cSize = Long.parseLong(parts[1]);
                case "const" -> constants.put(parts[1], Long.parseUnsignedLong(parts[2]));
                default -> fields.put(parts[0], new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])});
            }
        }

        assertEquals(cSize, VmClockLayout.LAYOUT.byteSize(), "sizeof(struct vmclock_abi)");
        assertEquals(VmClockLayout.LAYOUT.memberLayouts().size(), fields.size(), "field count");
        for (MemoryLayout member : VmClockLayout.LAYOUT.memberLayouts()) {
            String name = member.name().orElseThrow();
            long[] offsetAndSize = Objects.requireNonNull(fields.get(name), "C has no field " + name);
            assertEquals(offsetAndSize[0], VmClockLayout.offsetOf(name), "offsetof " + name);
            assertEquals(offsetAndSize[1], VmClockLayout.sizeOf(name), "sizeof " + name);
        }
        assertEquals(23, constants.size(), "constants printed by the probe");
        for (Map.Entry<String, Long> constant : constants.entrySet()) {
            assertEquals(constant.getValue(), javaConstant(constant.getKey()), constant.getKey());
        }
    }

    /** The Java constant for a C macro: VMCLOCK_MAGIC by its name, VMCLOCK_X_Y as X_Y. */
    private static long javaConstant(String cName) throws ReflectiveOperationException {
        String javaName = cName.equals("VMCLOCK_MAGIC") ? cName : cName.substring("VMCLOCK_".length());
        Field field = VmClockLayout.class.getField(javaName);
        return ((Number) field.get(null)).longValue();
    }

    private static void copyResource(String name, Path target) throws IOException {
        try (InputStream in = Objects.requireNonNull(VmClockLayoutAbiTest.class.getResourceAsStream(name), name)) {
            Files.copy(in, target);
        }
    }

    private static boolean isOnPath(String program) {
        String path = Objects.requireNonNullElse(System.getenv("PATH"), "");
        for (String directory : path.split(":")) {
            if (Files.isExecutable(Path.of(directory, program))) {
                return true;
            }
        }
        return false;
    }

    private static List<String> run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, process.exitValue(), command + " failed:\n" + output);
        return output.lines().toList();
    }
}
