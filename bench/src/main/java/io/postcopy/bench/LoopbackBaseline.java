package io.postcopy.bench;

import io.postcopy.bench.harness.Pacing;
import org.HdrHistogram.Histogram;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Raw loopback baselines for the migration figures, measured with plain blocking sockets: the round trip of an
 * 8-byte request answered by a 4 KiB page (what a demand fault costs at the very least), and bulk throughput
 * (what the background stream can at most reach). Prints one JSON object.
 *
 * <p>Run: {@code java -cp "bench/target/postcopy-bench.jar:bench/target/lib/*" io.postcopy.bench.LoopbackBaseline}
 */
public final class LoopbackBaseline {
    private static final int PAGE = 4096;

    private LoopbackBaseline() {
    }

    /**
     * Runs both baselines.
     *
     * @param args optional: round trips (default 50000), bulk bytes (default 1 GiB)
     */
    public static void main(String[] args) throws Exception {
        int roundTrips = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        long bulkBytes = args.length > 1 ? Long.parseLong(args[1]) : 1L << 30;
        Histogram rtt = roundTrips(roundTrips);
        double bulkBytesPerSecond = bulk(bulkBytes);
        System.out.printf("{\"tcpRtt4kUs\": {\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f},"
                + " \"bulkGiBPerSecond\": %.2f, \"bulk1GiBMs\": %.0f}%n",
            rtt.getValueAtPercentile(50) / 1000.0, rtt.getValueAtPercentile(99) / 1000.0,
            rtt.getValueAtPercentile(99.9) / 1000.0, rtt.getMaxValue() / 1000.0,
            bulkBytesPerSecond / (1L << 30), (1L << 30) / bulkBytesPerSecond * 1000);
    }

    /** Back-to-back round trips: the best case, no thread ever idles. */
    static Histogram roundTrips(int count) throws Exception {
        return roundTrips(count, 0);
    }

    /**
     * {@code count} measured round trips (after 5000 unmeasured ones back to back), one every {@code intervalNs} if
     * that is positive (corrected for coordinated omission with that interval), else back to back.
     *
     * @return round-trip times in nanoseconds
     */
    static Histogram roundTrips(int count, long intervalNs) throws Exception {
        Histogram histogram = new Histogram(3);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread responder = Thread.ofPlatform().daemon().start(() -> serve(server));
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                socket.setTcpNoDelay(true);
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] page = new byte[PAGE];
                long next = System.nanoTime();
                for (int i = 0; i < count + 5_000; i++) {
                    if (intervalNs > 0 && i >= 5_000) {
                        next = Pacing.awaitSlot(next, intervalNs);
                    }
                    long start = System.nanoTime();
                    out.writeLong(i);
                    out.flush();
                    in.readFully(page);
                    if (i >= 5_000) {
                        long rttNs = System.nanoTime() - start;
                        if (intervalNs > 0) {
                            histogram.recordValueWithExpectedInterval(rttNs, intervalNs);
                        } else {
                            histogram.recordValue(rttNs);
                        }
                    }
                }
            }
            responder.join(5_000);
        }
        return histogram;
    }

    private static void serve(ServerSocket server) {
        try (Socket socket = server.accept()) {
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] page = new byte[PAGE];
            while (true) {
                in.readLong();
                out.write(page);
                out.flush();
            }
        } catch (IOException endOfRun) {
            // the client closed: the run is over
        }
    }

    /** Bytes per second one plain socket moves over loopback, {@code bytes} in 256 KiB writes. */
    static double bulk(long bytes) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread sender = Thread.ofPlatform().daemon().start(() -> {
                try (Socket socket = server.accept(); OutputStream out = socket.getOutputStream()) {
                    byte[] chunk = new byte[256 * 1024];
                    for (long sent = 0; sent < bytes; sent += chunk.length) {
                        out.write(chunk);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            long start = System.nanoTime();
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 InputStream in = socket.getInputStream()) {
                byte[] buffer = new byte[256 * 1024];
                long received = 0;
                int n;
                while ((n = in.read(buffer)) > 0) {
                    received += n;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                sender.join(5_000);
                return received / seconds;
            }
        }
    }
}
