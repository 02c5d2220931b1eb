package io.postcopy.cli.option;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code --timeout 120s}: a non-negative duration with a unit: {@code ms}, {@code s}, {@code m} or {@code h}. */
public final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

    /**
     * Checks that a timeout-like option is positive.
     *
     * @param option the option's name, for the message
     * @return {@code value}
     * @throws PostcopyException {@code INVALID_ARGUMENT} if it is zero
     */
    public static Duration requirePositive(String option, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, option + "=" + value.toMillis()
                + "ms (expected: > 0, e.g. 120s)");
        }
        return value;
    }

    @Override
    public Duration convert(String value) {
        Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new TypeConversionException("duration '" + value
                + "' (expected: a whole number with a unit ms, s, m or h, e.g. 500ms or 120s)");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }
}
