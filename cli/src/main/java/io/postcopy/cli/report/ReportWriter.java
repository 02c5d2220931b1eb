package io.postcopy.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints reports as JSON (one object) or as a compact aligned table for people. */
public final class ReportWriter {
    private static final ObjectMapper JSON = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ReportWriter() {
    }

    /** The JSON form of a report record (pretty-printed, one object). */
    public static String toJson(Object report) {
        try {
            return JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new PostcopyException(ErrorCode.INTERNAL, "cannot write the report as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a migration report printed by {@code postcopy dest --json}; fields it does not know are ignored.
     *
     * @throws PostcopyException {@code INTERNAL} if the text is not such a report
     */
    public static MigrationSummary parseMigration(String json) {
        try {
            return JSON.readValue(json, MigrationSummary.class);
        } catch (JsonProcessingException e) {
            throw new PostcopyException(ErrorCode.INTERNAL, "the destination's report is not valid JSON: "
                + e.getOriginalMessage(), e);
        }
    }

    /** Prints {@code report} as JSON if {@code json}, else as a table. */
    public static void print(PrintWriter out, MigrationSummary report, boolean json) {
        out.println(json ? toJson(report) : table(report));
        out.flush();
    }

    /** Prints {@code report} as JSON if {@code json}, else as a table. */
    public static void print(PrintWriter out, SourceSummary report, boolean json) {
        out.println(json ? toJson(report) : table(report));
        out.flush();
    }

    /** The human-readable table of a migration report. */
    public static String table(MigrationSummary r) {
        Table t = new Table("postcopy migration report");
        t.row("result", r.result());
        t.row("backend", r.backend() + ", transport " + r.transport() + ", mode " + r.mode());
        t.row("guest", bytes(r.memoryBytes()) + " in " + r.pageCount() + " pages of " + bytes(r.pageSize()) + ", "
            + r.vcpus() + " vCPUs, workload " + r.workload());
        MigrationSummary.Pages p = r.pages();
        if (!"postcopy".equals(r.mode())) {
            t.row("precopy", r.precopyRounds() + " rounds" + (r.precopyConverged() ? "" : " (did not converge)")
                + ", " + p.precopy() + " pages, " + p.precopyResent() + " re-sent, " + r.pagesDiscarded()
                + " discarded at switchover");
        }
        t.row("pages", "demand " + p.demand() + ", background " + p.background() + ", zero " + p.zero()
            + ", duplicate " + p.duplicate());
        t.row("total time", ms(r.totalTimeMs()));
        t.row("downtime", ms(r.downtimeMs()));
        MigrationSummary.Latency l = r.faultLatencyUs();
        t.row("fault latency", r.faults() + " faults (" + r.uffdFaults() + " from userfaultfd); p50 " + us(l.p50())
            + ", p99 " + us(l.p99()) + ", p99.9 " + us(l.p999()) + ", max " + us(l.max()));
        if (r.generation() != null) {
            t.row("generation", r.generation().before() + " -> " + r.generation().after() + ", "
                + r.generation().watchersAcknowledged() + " guest watcher(s) acknowledged");
            t.row("vm clock", "disruption marker " + Long.toUnsignedString(r.vmclock().disruptionMarkerBefore(), 16)
                + " -> " + Long.toUnsignedString(r.vmclock().disruptionMarkerAfter(), 16));
            t.row("devices", r.devices().stream().map(d -> d.name() + (d.verified() ? " verified" : " NOT verified"))
                .collect(java.util.stream.Collectors.joining(", ")));
        }
        if (r.recoveries() > 0) {
            t.row("network", r.recoveries() + " loss(es) after switchover, recovered");
        }
        MigrationSummary.Integrity i = r.integrity();
        t.row("integrity", i.pagesVerified() + " of " + r.pageCount() + " pages verified, " + i.mismatches()
            + " mismatches" + (i.mismatches() > 0 ? " (first at page " + i.firstMismatchPage() + ")" : ""));
        MigrationSummary.WorkloadCheck w = r.workloadCheck();
        t.row("workload check", w.itemsChecked() + " items checked, " + w.violations() + " violations"
            + (w.violations() > 0 ? " (first: " + w.firstViolation() + ")" : ""));
        return t.toString();
    }

    /** The human-readable table of a source's summary. */
    public static String table(SourceSummary r) {
        Table t = new Table("postcopy source report");
        t.row("result", r.result());
        t.row("transport", r.transport() + ", listened on " + r.listen());
        t.row("guest", bytes(r.memoryBytes()) + " in " + r.memoryBytes() / r.pageSize() + " pages of "
            + bytes(r.pageSize()) + ", " + r.vcpus() + " vCPUs, workload " + r.workload());
        SourceSummary.SentPages p = r.pages();
        t.row("pages sent", "demand " + p.demand() + ", background " + p.background() + ", zero " + p.zero());
        t.row("re-requests", r.requestsForSentPages() + " demand requests for pages already sent");
        t.row("total time", ms(r.totalTimeMs()));
        return t.toString();
    }

    private static String ms(double millis) {
        return String.format(Locale.ROOT, "%.1f ms", millis);
    }

    private static String us(double micros) {
        return String.format(Locale.ROOT, "%.1f us", micros);
    }

    /** A size in bytes with the largest binary unit that divides it (256 MiB, 4 KiB, 1000 B). */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        long value = n;
        while (unit < units.length - 1 && value >= 1024 && value % 1024 == 0) {
            value /= 1024;
            unit++;
        }
        return value + " " + units[unit];
    }

    /** Two aligned columns under a title. */
    private static final class Table {
        private final String title;
        private final List<String[]> rows = new ArrayList<>();

        Table(String title) {
            this.title = title;
        }

        void row(String key, String value) {
            rows.add(new String[] {key, value});
        }

        @Override
        public String toString() {
            int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
            StringBuilder sb = new StringBuilder(title);
            for (String[] row : rows) {
                sb.append(System.lineSeparator()).append("  ").append(row[0])
                    .append(" ".repeat(width - row[0].length() + 2)).append(row[1]);
            }
            return sb.toString();
        }
    }
}
