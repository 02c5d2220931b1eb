package io.postcopy.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import io.postcopy.transport.NettyTransport;
import org.HdrHistogram.Histogram;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The 4 KiB request/response round trip over loopback with Netty, the transport the engine uses (epoll when it
 * loads, with TCP_NODELAY): a caller thread writes an 8-byte request and waits until the client's event loop has
 * received the whole 4 KiB answer and woken it, as a faulting vCPU waits for its page. No engine code runs.
 *
 * <p>Called by one thread at a time.
 */
final class NettyLoopbackBaseline {
    private static final int PAGE = 4096;
    private static final int REQUEST = 8;
    private static final int WARMUP = 5_000;

    private NettyLoopbackBaseline() {
    }

    /**
     * Measures {@code count} round trips after {@link #WARMUP} unmeasured ones, back to back.
     *
     * @return round-trip times in nanoseconds
     */
    static Histogram roundTrips(int count) throws InterruptedException {
        NettyTransport transport = NettyTransport.best();
        EventLoopGroup serverGroup = transport.newGroup(1, "rtt-server");
        EventLoopGroup clientGroup = transport.newGroup(1, "rtt-client");
        ByteBuf pageContent = Unpooled.directBuffer(PAGE).writeZero(PAGE);
        ByteBuf page = Unpooled.unreleasableBuffer(pageContent);
        Waiter waiter = new Waiter();
        try {
            Channel server = new ServerBootstrap().group(serverGroup).channel(transport.serverSocketChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new FixedLengthFrameDecoder(REQUEST),
                            new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf request) {
                                    ctx.writeAndFlush(page.duplicate());
                                }
                            });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            Channel client = new Bootstrap().group(clientGroup).channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new FixedLengthFrameDecoder(PAGE),
                            new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf answer) {
                                    waiter.signal();
                                }
                            });
                    }
                })
                .connect(server.localAddress()).sync().channel();
            Histogram histogram = new Histogram(3);
            for (int i = 0; i < WARMUP + count; i++) {
                long start = System.nanoTime();
                long expected = waiter.expectNext();
                client.writeAndFlush(client.alloc().buffer(REQUEST).writeLong(i));
                waiter.await(expected);
                if (i >= WARMUP) {
                    histogram.recordValue(System.nanoTime() - start);
                }
            }
            client.close().sync();
            server.close().sync();
            return histogram;
        } finally {
            pageContent.release();
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Wakes the measuring thread when an answer arrived: park/unpark, as the engine wakes a faulting vCPU. */
    private static final class Waiter {
        private final AtomicLong answers = new AtomicLong();
        private volatile Thread caller;

        long expectNext() {
            caller = Thread.currentThread();
            return answers.get() + 1;
        }

        void await(long expected) {
            while (answers.get() < expected) {
                LockSupport.park(this);
            }
        }

        void signal() {
            answers.incrementAndGet();
            LockSupport.unpark(caller);
        }
    }
}
