package io.anchormq.platform;

import io.anchormq.broker.Broker;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The plain-TCP MQTT listener (3.1.1 and 5.0 on one port). */
final class MqttListener implements AutoCloseable {

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;

    private MqttListener(EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel) {
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = serverChannel;
    }

    /**
     * The loops the listener's connections will run on, and the broker's sessions with them: made before the broker,
     * handed to {@link #bind}, which owns them from then on.
     *
     * <p>On Linux they are Netty's native epoll loops where its library loads ({@code nativeTransport}), else NIO's:
     * at a moderate rate a loop wakes for a packet or two, and the NIO selector's work per wake-up is much of its
     * cost (at 20,000 msg/s from 100 clients on one core the loop took 0.59 cores on epoll, 0.73 on NIO).
     *
     * @param ioThreads 0 = Netty's default (two per core)
     * @param nativeTransport use epoll when available; false: always NIO
     */
    static EventLoopGroup eventLoops(int ioThreads, boolean nativeTransport) {
        DefaultThreadFactory threads = new DefaultThreadFactory("anchormq-mqtt");
        return nativeTransport && Epoll.isAvailable() ? new EpollEventLoopGroup(ioThreads, threads)
                : new NioEventLoopGroup(ioThreads, threads);
    }

    /** Listens on {@code workers} (from {@link #eventLoops}); closing the listener shuts them down. */
    static MqttListener bind(Broker broker, EventLoopGroup workers, String host, int port) {
        boolean epoll = workers instanceof EpollEventLoopGroup;
        EventLoopGroup boss = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
        Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        try {
            Channel channel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(serverChannel)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // a subscriber whose socket backs up past 1 MiB stops receiving until it drains (its session
                    // queues meanwhile, within its bound)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            broker.initChannel(ch);
                        }
                    })
                    .bind(host, port).syncUninterruptibly().channel();
            return new MqttListener(boss, workers, channel);
        } catch (Exception e) {
            // Netty rethrows the bind's IOException unchecked; its threads must not keep the JVM alive
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot listen for MQTT on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** "epoll" or "nio". */
    String transport() {
        return workers instanceof EpollEventLoopGroup ? "epoll" : "nio";
    }

    int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    void stopAccepting() {
        serverChannel.close().syncUninterruptibly();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
