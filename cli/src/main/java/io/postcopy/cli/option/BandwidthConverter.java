package io.postcopy.cli.option;

import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/**
 * {@code --bandwidth 100m}: bytes per second ({@code 100m} and {@code 100m/s} are the same), or {@code 0} /
 * {@code unlimited} for no cap.
 */
public final class BandwidthConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        String rate = value.trim().toLowerCase(Locale.ROOT);
        if (rate.equals("0") || rate.equals("unlimited")) {
            return 0L;
        }
        if (rate.endsWith("/s")) {
            rate = rate.substring(0, rate.length() - 2);
        }
        try {
            return MemoryGeometry.parseSize(rate);
        } catch (PostcopyException e) {
            throw new TypeConversionException("rate '" + value
                + "' (expected: bytes per second with an optional unit k, m or g, e.g. 100m; or 0 for unlimited)");
        }
    }
}
