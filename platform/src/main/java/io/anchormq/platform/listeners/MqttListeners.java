package io.anchormq.platform.listeners;

import com.typesafe.config.Config;
import io.anchormq.broker.Broker;
import io.anchormq.broker.auth.ListenerProfile;
import io.anchormq.platform.pki.PlatformCa;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT listeners (3.1.1 and 5.0 on each): plain TCP, TLS, WebSocket and secure WebSocket, each enabled, bound
 * and secured by its own settings; all of them on the broker's event loops. Every accepted connection is told its
 * {@link ListenerProfile} before the broker sets up its MQTT handlers.
 */
public final class MqttListeners implements AutoCloseable {

    /** WebSocket subprotocols of MQTT: "mqtt" (3.1.1 and 5.0), "mqttv3.1" (what some 3.1-era clients send). */
    private static final String SUBPROTOCOLS = "mqtt,mqttv3.1";
    /** An HTTP upgrade request is small: anything larger is not a WebSocket client. */
    private static final int MAX_HTTP_REQUEST = 64 * 1024;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Map<String, Channel> serverChannels;
    private final List<String> descriptions;

    private MqttListeners(EventLoopGroup boss, EventLoopGroup workers, Map<String, Channel> serverChannels,
                          List<String> descriptions) {
        this.boss = boss;
        this.workers = workers;
        this.serverChannels = serverChannels;
        this.descriptions = descriptions;
    }

    /**
     * The loops the listeners' connections will run on, and the broker's sessions with them: made before the
     * broker, handed to {@link #bind}, which owns them from then on.
     *
     * <p>On Linux they are Netty's native epoll loops where its library loads ({@code nativeTransport}), else NIO's:
     * at a moderate rate a loop wakes for a packet or two, and the NIO selector's work per wake-up is much of its
     * cost (at 20,000 msg/s from 100 clients on one core the loop took 0.59 cores on epoll, 0.73 on NIO).
     *
     * @param ioThreads 0 = Netty's default (two per core)
     * @param nativeTransport use epoll when available; false: always NIO
     */
    public static EventLoopGroup eventLoops(int ioThreads, boolean nativeTransport) {
        DefaultThreadFactory threads = new DefaultThreadFactory("anchormq-mqtt");
        return nativeTransport && Epoll.isAvailable() ? new EpollEventLoopGroup(ioThreads, threads)
                : new NioEventLoopGroup(ioThreads, threads);
    }

    /**
     * Binds every enabled listener of {@code config} ({@code anchormq.mqtt}, {@code anchormq.listeners}); the TLS
     * ones with {@code ca}'s server certificate, trusting client certificates of {@code ca}. Connections run on
     * {@code workers} (from {@link #eventLoops}); closing the listeners shuts them down, and so does a failure here.
     */
    public static MqttListeners bind(Broker broker, EventLoopGroup workers, Config config, PlatformCa ca) {
        boolean epoll = workers instanceof EpollEventLoopGroup;
        // one thread accepts for every listener: accepting is rare next to reading
        EventLoopGroup boss = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
        Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        String transport = epoll ? "epoll" : "nio";
        Map<String, Channel> channels = new LinkedHashMap<>();
        List<String> descriptions = new ArrayList<>();
        int maxPacketSize = broker.settings().maxPacketSize();
        ListenerSettings current = null;
        try {
            for (ListenerSettings listener : ListenerSettings.from(config)) {
                current = listener;
                if (!listener.enabled()) {
                    continue;
                }
                ChannelInitializer<SocketChannel> initializer = initializer(broker, listener,
                        listener.transport().tls ? ca.serverContext(listener.clientAuth()) : null, maxPacketSize);
                Channel channel = new ServerBootstrap()
                        .group(boss, workers)
                        .channel(serverChannel)
                        .option(ChannelOption.SO_BACKLOG, 1024)
                        // a restarted broker must get its ports back while old connections linger in TIME_WAIT
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        // a subscriber whose socket backs up past 1 MiB stops receiving until it drains (its session
                        // queues meanwhile, within its bound)
                        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                                new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                        .childHandler(initializer)
                        .bind(listener.host(), listener.port()).syncUninterruptibly().channel();
                channels.put(listener.name(), channel);
                int port = ((InetSocketAddress) channel.localAddress()).getPort();
                descriptions.add(listener.transport().description + " on " + listener.host() + ":" + port + " ("
                        + transport + ")" + (listener.transport().webSocket ? ", path " + listener.path() : "")
                        + ": " + listener.accepts());
            }
            return new MqttListeners(boss, workers, Map.copyOf(channels), List.copyOf(descriptions));
        } catch (RuntimeException e) {
            // Netty rethrows the bind's IOException unchecked; its threads must not keep the JVM alive
            channels.values().forEach(c -> c.close().syncUninterruptibly());
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            String where = current == null ? "" : " " + current.name() + " on " + current.host() + ":"
                    + current.port();
            throw new IllegalStateException("cannot listen for MQTT" + where + ": " + e.getMessage(), e);
        }
    }

    private static ChannelInitializer<SocketChannel> initializer(Broker broker, ListenerSettings listener,
                                                                 SslContext tls, int maxPacketSize) {
        ListenerProfile profile = new ListenerProfile(listener.name(), tls != null,
                tls != null && listener.clientAuth() == io.netty.handler.ssl.ClientAuth.REQUIRE,
                listener.anonymousAllowed());
        WebSocketServerProtocolConfig webSocket = listener.transport().webSocket
                ? WebSocketServerProtocolConfig.newBuilder()
                        .websocketPath(listener.path())
                        .subprotocols(SUBPROTOCOLS)
                        // one packet per frame is usual; a frame of several packets may be larger than one
                        .maxFramePayloadLength((int) Math.min(Integer.MAX_VALUE, 2L * maxPacketSize))
                        .build()
                : null;
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.attr(ListenerProfile.KEY).set(profile);
                ChannelPipeline p = ch.pipeline();
                if (tls != null) {
                    p.addLast("ssl", tls.newHandler(ch.alloc()));
                }
                if (webSocket != null) {
                    p.addLast("http", new HttpServerCodec());
                    p.addLast("httpAggregator", new HttpObjectAggregator(MAX_HTTP_REQUEST));
                    p.addLast("webSocket", new WebSocketServerProtocolHandler(webSocket));
                    p.addLast("webSocketBytes", new WebSocketByteStream(listener.path()));
                }
                broker.initChannel(ch);
            }
        };
    }

    /** The port the listener named {@code name} ("mqtt", "mqtts", "ws", "wss") is bound to. */
    public int port(String name) {
        Channel channel = serverChannels.get(name);
        if (channel == null) {
            throw new IllegalArgumentException("no MQTT listener " + name + " is enabled (enabled: "
                    + serverChannels.keySet() + ")");
        }
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** One line per listener for the start-up log: address, port, transport and what it accepts. */
    public List<String> descriptions() {
        return descriptions;
    }

    public void stopAccepting() {
        serverChannels.values().forEach(c -> c.close().syncUninterruptibly());
    }

    @Override
    public void close() {
        stopAccepting();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
