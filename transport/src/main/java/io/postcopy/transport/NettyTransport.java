package io.postcopy.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty transport in use: native epoll when it loads, NIO otherwise. The choice is made once and logged with
 * the reason, so a run that fell back to NIO says so.
 */
public enum NettyTransport {
    /** Linux native epoll. */
    EPOLL,
    /** Java NIO, portable. */
    NIO;

    private static final Logger LOG = LoggerFactory.getLogger(NettyTransport.class);
    private static final NettyTransport BEST = pick();

    private static NettyTransport pick() {
        if (Boolean.getBoolean("postcopy.transport.nio")) {
            LOG.info("transport: nio (forced by -Dpostcopy.transport.nio=true)");
            return NIO;
        }
        if (Epoll.isAvailable()) {
            LOG.info("transport: native epoll");
            return EPOLL;
        }
        LOG.info("transport: nio (native epoll unavailable: {})", Epoll.unavailabilityCause().toString());
        return NIO;
    }

    /** The best transport on this machine. */
    public static NettyTransport best() {
        return BEST;
    }

    /** The name used in reports: "epoll" or "nio". */
    public String reportName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A new event loop group of {@code threads} threads named {@code name-N}. */
    public EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    /** The client socket channel class. */
    public Class<? extends SocketChannel> socketChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** The server socket channel class. */
    public Class<? extends ServerSocketChannel> serverSocketChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }
}
