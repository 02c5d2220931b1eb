package io.postcopy.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes a run's results into a directory: {@code summary.json}, the PNG charts, and {@code REPORT.md}. */
public final class BenchOutput {
    /** The JSON summary's file name. */
    public static final String SUMMARY = "summary.json";
    /** The Markdown report's file name. */
    public static final String REPORT = "REPORT.md";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchOutput() {
    }

    /** The summary as one JSON object (indented, field order as in {@link BenchSummary}). */
    public static String toJson(BenchSummary summary) {
        try {
            return JSON.writeValueAsString(summary);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize the summary: " + e.getMessage(), e);
        }
    }

    /**
     * Writes everything into {@code directory} (created if missing; files of a previous run are replaced).
     *
     * @return the chart files written
     */
    public static List<String> write(BenchSummary summary, Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve(SUMMARY), toJson(summary) + "\n", StandardCharsets.UTF_8);
        List<String> charts = Charts.writeAll(summary, directory);
        Files.writeString(directory.resolve(REPORT), Report.render(summary, charts), StandardCharsets.UTF_8);
        return charts;
    }
}
