package io.postcopy.cli.option;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostPortTest {
    private final HostPort.Converter converter = new HostPort.Converter();

    @Test
    void shouldParseHostAndPortWhenWellFormed() {
        assertEquals(new HostPort("127.0.0.1", 7000), converter.convert("127.0.0.1:7000"));
        assertEquals(new HostPort("example.org", 0), converter.convert("example.org:0"));
    }

    @Test
    void shouldUnbracketIpv6HostAndBracketItWhenPrinted() {
        HostPort address = converter.convert("[::1]:7000");
        assertEquals(new HostPort("::1", 7000), address);
        assertEquals("[::1]:7000", address.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", ":7000", "host:", "host:port", "host:65536", "host:-1", "::1:7000"})
    void shouldRejectAddressWhenMalformed(String text) {
        assertThrows(TypeConversionException.class, () -> converter.convert(text));
    }

    @Test
    void shouldParseDurationsWithUnits() {
        DurationConverter durations = new DurationConverter();
        assertEquals(Duration.ofMillis(500), durations.convert("500ms"));
        assertEquals(Duration.ofSeconds(120), durations.convert("120s"));
        assertEquals(Duration.ofMinutes(2), durations.convert("2m"));
        assertThrows(TypeConversionException.class, () -> durations.convert("-1s"));
    }

    @Test
    void shouldParseBandwidthWithOptionalPerSecond() {
        BandwidthConverter rates = new BandwidthConverter();
        assertEquals(100L << 20, rates.convert("100m"));
        assertEquals(100L << 20, rates.convert("100m/s"));
        assertEquals(0L, rates.convert("unlimited"));
        assertThrows(TypeConversionException.class, () -> rates.convert("fast"));
    }
}
