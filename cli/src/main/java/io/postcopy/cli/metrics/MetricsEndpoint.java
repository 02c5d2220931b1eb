package io.postcopy.cli.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The meter registry of a {@code source} or {@code dest} run: with {@code --metrics-port} a Prometheus registry
 * served over HTTP at {@code /metrics} (text format 0.0.4), otherwise a plain in-memory registry.
 *
 * <p>Open it first and close it last: the HTTP server answers on its own thread until {@link #close()}.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final MeterRegistry registry;
    private final HttpServer server;

    private MetricsEndpoint(MeterRegistry registry, HttpServer server) {
        this.registry = registry;
        this.server = server;
    }

    /** A registry that is not served anywhere. */
    public static MetricsEndpoint none() {
        return new MetricsEndpoint(new SimpleMeterRegistry(), null);
    }

    /**
     * Serves a Prometheus registry on every interface at {@code port} (0 for any free port).
     *
     * @throws PostcopyException {@code INVALID_ARGUMENT} if the port cannot be bound
     */
    public static MetricsEndpoint serve(int port) {
        if (port < 0 || port > 65535) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "metrics port " + port + " (expected: 0..65535)");
        }
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(port), 0);
        } catch (IOException e) {
            prometheus.close();
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "cannot serve metrics on port " + port + ": "
                + e.getMessage() + "; choose a free port with --metrics-port (or 0 for any)", e);
        }
        server.createContext("/metrics", exchange -> scrape(prometheus, exchange));
        server.start();
        return new MetricsEndpoint(prometheus, server);
    }

    /**
     * {@link #serve} if {@code port} is given, else {@link #none()}.
     *
     * @param port the {@code --metrics-port} value, or null if the option was not given
     */
    public static MetricsEndpoint open(Integer port) {
        return port == null ? none() : serve(port);
    }

    private static void scrape(PrometheusMeterRegistry prometheus, HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) || !"/metrics".equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = prometheus.scrape(CONTENT_TYPE).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The registry to hand to the engine and the transport. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The address the metrics are served on, if they are. */
    public Optional<InetSocketAddress> address() {
        return server == null ? Optional.empty() : Optional.of(server.getAddress());
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        registry.close();
    }
}
