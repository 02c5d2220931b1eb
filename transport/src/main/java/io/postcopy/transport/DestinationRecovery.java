package io.postcopy.transport;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.PageBitmap;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.ReceivedBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The destination's side of recovery after a network loss (PROTOCOL.md section 9), once the VM runs here: on a
 * loss, its own thread detaches the fault engine from the source (faulting vCPUs keep waiting, their deadlines
 * stopped), closes the lost connections and waits until none of them installs a page any more, then reconnects with
 * backoff until the recovery deadline: a RESUME handshake naming the session, RECEIVED_BITMAP frames covering every
 * page from the engine's present bitmap, URGENT and BACKGROUND again, and finally the engine re-attached, which asks
 * again for every page requested and still missing. A refusal that retrying cannot cure, or the deadline, fails the
 * session.
 *
 * <p>Thread-safe; {@link #close()} stops a recovery in progress and joins its thread.
 */
final class DestinationRecovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DestinationRecovery.class);
    private static final long FIRST_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 2_000;
    private static final int WORDS_PER_FRAME = 65_536;

    private final DestinationSession session;
    private final DestinationConnector connector;
    private final NegotiatedSession controlTerms;
    private final FaultEngine engine;
    private final long recoveryTimeoutMs;
    private List<DestinationConnector.Connection> current;
    private Thread worker;
    private PostcopyException pendingLoss;
    private int pendingLossGeneration;
    private int recoveries;
    private boolean closed;

    /**
     * @param connections the connections of generation 0: CONTROL, URGENT, BACKGROUND
     */
    DestinationRecovery(DestinationSession session, DestinationConnector connector, NegotiatedSession controlTerms,
                        FaultEngine engine, long recoveryTimeoutMs, List<DestinationConnector.Connection> connections) {
        this.session = session;
        this.connector = connector;
        this.controlTerms = controlTerms;
        this.engine = engine;
        this.recoveryTimeoutMs = recoveryTimeoutMs;
        this.current = connections;
    }

    /**
     * A connection of generation {@code lostGeneration} was lost; any thread. Starts the recovery unless one runs;
     * a loss reported by a generation that is already being replaced is dropped when the recovery gets to it.
     */
    synchronized void onLoss(PostcopyException cause, int lostGeneration) {
        if (closed) {
            return;
        }
        pendingLoss = cause;
        pendingLossGeneration = lostGeneration;
        if (worker == null) {
            worker = Thread.ofPlatform().name("dest-recovery").daemon().start(this::run);
        }
    }

    /** Network losses recovered from so far. */
    synchronized int recoveries() {
        return recoveries;
    }

    private void run() {
        while (true) {
            PostcopyException cause;
            List<DestinationConnector.Connection> lost;
            synchronized (this) {
                cause = pendingLoss;
                pendingLoss = null;
                if (cause == null || closed) {
                    worker = null;
                    return;
                }
                if (pendingLossGeneration < session.generation()) {
                    continue;
                }
                lost = current;
            }
            try {
                recover(cause, lost);
            } catch (InterruptedException e) {
                return;
            } catch (PostcopyException e) {
                LOG.error("recovery failed: {}", e.getMessage());
                synchronized (this) {
                    closed = true;
                    worker = null;
                }
                session.fail(e);
                return;
            }
        }
    }

    private void recover(PostcopyException cause, List<DestinationConnector.Connection> lost)
        throws InterruptedException {
        long lossNs = System.nanoTime();
        long deadlineNs = lossNs + TimeUnit.MILLISECONDS.toNanos(recoveryTimeoutMs);
        int generation = session.nextGeneration();
        engine.detachSource();
        LOG.warn("network lost ({}); the VM keeps running, faulting vCPUs wait; reconnecting for up to {} ms",
            cause.getMessage(), recoveryTimeoutMs);
        closeAndDrain(lost);
        long backoffMs = FIRST_BACKOFF_MS;
        PostcopyException last = cause;
        while (System.nanoTime() < deadlineNs) {
            long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()));
            try {
                List<DestinationConnector.Connection> resumed = resume(generation, remainingMs);
                synchronized (this) {
                    current = resumed;
                    recoveries++;
                    if (pendingLoss != null && pendingLossGeneration < generation) {
                        // Reported by a failed attempt's connection, not by the resumed ones.
                        pendingLoss = null;
                    }
                }
                engine.attachSource(new RemotePageSource(resumed.get(1).channel(), resumed.get(2).channel()));
                LOG.info("recovered from the network loss after {} ms (recovery {})",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lossNs), recoveries());
                return;
            } catch (PostcopyException e) {
                if (!isWorthRetrying(e)) {
                    throw new PostcopyException(e.code(), "the source refused to resume the session: "
                        + e.getMessage(), e);
                }
                last = e;
                LOG.info("reconnecting: {}; next attempt in {} ms", e.getMessage(), backoffMs);
                generation = session.generation();
            }
            Thread.sleep(Math.min(backoffMs,
                Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()))));
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        throw new PostcopyException(ErrorCode.TIMEOUT, "the network to the source was lost (" + cause.getMessage()
            + ") and the source did not come back within the recovery deadline of " + recoveryTimeoutMs
            + " ms (last attempt: " + last.getMessage() + ")");
    }

    /** Connection problems and a source that is not ready yet are worth another try; a refusal by content is not. */
    private static boolean isWorthRetrying(PostcopyException e) {
        return e.code() == ErrorCode.PEER_GONE || e.code() == ErrorCode.TIMEOUT
            || e.code() == ErrorCode.UNEXPECTED_MESSAGE;
    }

    /** One attempt: RESUME, the whole bitmap, URGENT and BACKGROUND. Closes what it opened if it fails. */
    private List<DestinationConnector.Connection> resume(int generation, long waitMs) throws InterruptedException {
        DestinationConnector.Connection control;
        try {
            control = connector.connect(ConnectionRole.RESUME, controlTerms, generation, waitMs);
        } catch (PostcopyException | InterruptedException e) {
            session.nextGeneration();
            throw e;
        }
        DestinationConnector.Connection urgent = null;
        try {
            sendBitmap(control);
            urgent = connector.connect(ConnectionRole.URGENT, controlTerms, generation, waitMs);
            DestinationConnector.Connection background = connector.connect(ConnectionRole.BACKGROUND, controlTerms,
                generation, waitMs);
            return List.of(control, urgent, background);
        } catch (PostcopyException | InterruptedException e) {
            // A new generation first, so that closing this attempt's connections is not reported as another loss.
            session.nextGeneration();
            control.channel().close();
            if (urgent != null) {
                urgent.channel().close();
            }
            throw e;
        }
    }

    /** RECEIVED_BITMAP frames covering every page, in page order, from the engine's present bitmap. */
    private void sendBitmap(DestinationConnector.Connection control) {
        PageBitmap present = engine.cachedBitmap();
        long pageCount = engine.geometry().pageCount();
        long wordCount = (pageCount + Long.SIZE - 1) / Long.SIZE;
        for (long firstWord = 0; firstWord < wordCount; firstWord += WORDS_PER_FRAME) {
            long[] words = new long[(int) Math.min(WORDS_PER_FRAME, wordCount - firstWord)];
            for (int w = 0; w < words.length; w++) {
                long base = (firstWord + w) * Long.SIZE;
                long word = 0;
                for (int b = 0; b < Long.SIZE && base + b < pageCount; b++) {
                    if (present.lvIsSet(base + b)) {
                        word |= 1L << b;
                    }
                }
                words[w] = word;
            }
            control.channel().write(new ReceivedBitmap(firstWord * Long.SIZE, words));
        }
        control.channel().flush();
    }

    /** Closes the lost connections and waits until none of their handlers can install a page any more. */
    private static void closeAndDrain(List<DestinationConnector.Connection> lost) throws InterruptedException {
        for (DestinationConnector.Connection connection : lost) {
            connection.channel().close();
        }
        for (DestinationConnector.Connection connection : lost) {
            try {
                connection.handler().removed().get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warn("a lost connection's handler did not end in 5 s: {}", e.toString());
            }
        }
    }

    /** Stops a recovery in progress (the migration is over or failed) and waits for its thread. */
    @Override
    public void close() {
        Thread running;
        synchronized (this) {
            closed = true;
            running = worker;
        }
        if (running != null) {
            running.interrupt();
            try {
                running.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
