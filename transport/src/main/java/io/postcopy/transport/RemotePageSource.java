package io.postcopy.transport;

import io.netty.channel.Channel;
import io.postcopy.engine.port.PageSource;
import io.postcopy.protocol.PageRequest;
import io.postcopy.protocol.RequestKind;

import java.util.Arrays;

/**
 * The destination's {@link PageSource} over the network: a demand request goes out on the urgent connection,
 * written by the thread that faulted (Netty hands the write to the channel's event loop, the one unavoidable hop);
 * asynchronous requests (prefetch around faults, device reads) go on the background connection, where the source
 * serves them ahead of its next background batch, so they never delay a demand answer.
 */
final class RemotePageSource implements PageSource {
    private final Channel urgent;
    private final Channel background;

    RemotePageSource(Channel urgent, Channel background) {
        this.urgent = urgent;
        this.background = background;
    }

    @Override
    public void requestDemand(long pageIndex) {
        urgent.writeAndFlush(PageRequest.of(RequestKind.DEMAND, pageIndex), urgent.voidPromise());
    }

    @Override
    public void requestPrefetch(long[] pageIndexes, int count) {
        for (int from = 0; from < count; from += PageRequest.MAX_PAGE_INDEXES) {
            int to = Math.min(count, from + PageRequest.MAX_PAGE_INDEXES);
            background.write(new PageRequest(RequestKind.PREFETCH, Arrays.copyOfRange(pageIndexes, from, to)),
                background.voidPromise());
        }
        background.flush();
    }
}
