package io.postcopy.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    private int execute(BenchCommand command, String... args) {
        CommandLine line = new CommandLine(command);
        line.setErr(new PrintWriter(err, true));
        line.setOut(new PrintWriter(out, true));
        return line.execute(args);
    }

    private static BenchCommand parsed(String... args) {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void shouldRefuseAnOutDirectoryThatIsAFileBeforeRunningAnything(@TempDir Path directory) throws Exception {
        Path file = Files.writeString(directory.resolve("not-a-dir"), "x");

        int code = execute(new BenchCommand(), "--quick", "--out", file.toString());

        assertEquals(2, code);
        assertTrue(err.toString().contains("is a file (expected: a directory"), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void shouldRefuseAnUnknownSectionWithTheListOfSections() {
        int code = execute(new BenchCommand(), "--quick", "--only", "tcp,warp");

        assertEquals(2, code);
        assertTrue(err.toString().contains("unknown section 'warp' (expected: tcp, faults, hotset, modes, uffd, jmh)"),
            err.toString());
    }

    @Test
    void shouldRefuseToRenderASummaryThatDoesNotExist(@TempDir Path directory) {
        int code = execute(new BenchCommand(), "--render", directory.resolve("missing.json").toString(), "--out",
            directory.toString());

        assertEquals(2, code);
        assertTrue(err.toString().contains("no such file (expected: a summary.json"), err.toString());
    }

    @Test
    void shouldRefuseAnUnknownOption() {
        assertEquals(2, execute(new BenchCommand(), "--fast"));
        assertTrue(err.toString().contains("Unknown option: '--fast'"), err.toString());
    }

    @Test
    void shouldPrintUsageWithHelp() {
        assertEquals(0, execute(new BenchCommand(), "--help"));
        assertTrue(out.toString().contains("--quick"), out.toString());
        assertTrue(out.toString().contains("postcopy bench jmh"), out.toString());
    }

    @Test
    void shouldRunTheFullSuiteIntoBenchResultsLatestByDefault() {
        BenchCommand command = parsed();

        assertEquals(BenchCommand.DEFAULT_OUT, command.out);
        assertEquals("full", command.config().name());
        assertEquals(Set.copyOf(BenchConfig.SECTIONS), command.config().sections());
        assertTrue(command.config().loadedSizesBytes().contains(4L << 30));
        assertFalse(command.json);
    }

    @Test
    void shouldLeaveOutTheLargestGuestWhenQuick() {
        BenchConfig config = parsed("--quick", "--json", "--out", "x").config();

        assertEquals("quick", config.name());
        assertEquals(List.of(256L << 20, 1L << 30), config.loadedSizesBytes());
    }

    @Test
    void shouldRestrictTheSectionsWithOnly() {
        BenchConfig config = parsed("--quick", "--only", "tcp,jmh").config();

        assertTrue(config.runs(BenchConfig.TCP) && config.runs(BenchConfig.JMH));
        assertFalse(config.runs(BenchConfig.FAULTS) || config.runs(BenchConfig.UFFD));
    }

    @Test
    void shouldNameSizesAsTheReportDoes() {
        assertEquals("256m", BenchConfig.sizeLabel(256L << 20));
        assertEquals("1g", BenchConfig.sizeLabel(1L << 30));
        assertEquals("4g", BenchConfig.sizeLabel(4L << 30));
    }
}
