package io.postcopy.cli.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MetricsEndpointTest {
    private static HttpResponse<String> get(MetricsEndpoint endpoint, String path) throws Exception {
        int port = endpoint.address().orElseThrow().getPort();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build();
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void shouldServeFaultCounterInPrometheusFormatWhenAFaultWasCounted() throws Exception {
        try (MetricsEndpoint endpoint = MetricsEndpoint.serve(0)) {
            // The same meter the fault engine registers for each fault that caused a fetch.
            Counter.builder("postcopy.faults").description("faults that caused a page fetch")
                .register(endpoint.registry()).increment();

            HttpResponse<String> response = get(endpoint, "/metrics");

            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            assertTrue(response.body().lines().anyMatch(l -> l.equals("postcopy_faults_total 1.0")),
                response::body);
        }
    }

    @Test
    void shouldAnswerNotFoundWhenPathIsNotMetrics() throws Exception {
        try (MetricsEndpoint endpoint = MetricsEndpoint.serve(0)) {
            assertEquals(404, get(endpoint, "/metricsz").statusCode());
        }
    }

    @Test
    void shouldUseUnservedRegistryWhenNoPortIsGiven() {
        try (MetricsEndpoint endpoint = MetricsEndpoint.open(null)) {
            assertFalse(endpoint.address().isPresent());
            assertInstanceOf(SimpleMeterRegistry.class, endpoint.registry());
        }
    }
}
