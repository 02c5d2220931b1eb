package io.postcopy.engine.port;

/**
 * Port: where the destination pulls pages from. The transport's client implements it over the network, an
 * in-process link implements it for tests and local migration, a snapshot file may implement it later.
 *
 * <p>Requests are fire-and-forget: the page comes back later through the destination's {@link PageSink}. An
 * implementation must not wait for the page inside these calls, and must tolerate a page being requested that
 * is already on its way (it then does not send it again).
 */
public interface PageSource {
    /**
     * A vCPU faulted on {@code pageIndex}. Called by the faulting thread itself, so that no thread handoff sits
     * on the urgent path (shared/DESIGN.md): send at once, ahead of any background traffic.
     *
     * @param pageIndex a valid page index of the negotiated geometry
     */
    void requestDemand(long pageIndex);

    /**
     * Asynchronous requests (prefetch, device reads), drained in batches from the engine's bounded async queue
     * by its request agent thread.
     *
     * @param pageIndexes the pages; only the first {@code count} entries are meaningful; not retained
     * @param count       number of pages, at least 1
     */
    void requestPrefetch(long[] pageIndexes, int count);

    /**
     * Pages asked for through an earlier source that was lost (a network loss) and still missing: vCPUs or devices
     * may be blocked on any of them, so an implementation should send them as urgently as a demand request. Called
     * once by {@link io.postcopy.engine.fault.FaultEngine#attachSource} when this source replaces a lost one.
     *
     * @param pageIndexes the pages; only the first {@code count} entries are meaningful; not retained
     * @param count       number of pages, at least 1
     */
    default void requestAgain(long[] pageIndexes, int count) {
        requestPrefetch(pageIndexes, count);
    }
}
