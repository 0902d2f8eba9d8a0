package io.anchormq.broker.session;

import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.routing.TopicFilter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttIdentifierRejectedException;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One network connection: the Netty side of a session. It runs on the channel's event loop and does only I/O work:
 * it checks the CONNECT, hands every later packet to the session actor, answers PINGREQ, watches keep alive and
 * stops reading the socket while the session has too many packets unprocessed. The session actor owns all protocol
 * state and writes its replies through {@link #send}.
 */
public final class MqttConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);
    private static final AtomicLong IDS = new AtomicLong();
    /** The codec stores the negotiated protocol version under this channel attribute. */
    private static final AttributeKey<MqttVersion> CODEC_VERSION = PacketInspector.CODEC_VERSION;
    /** How long a connection the broker ends is kept half-open for the client to read the last packet. */
    private static final long LINGER_MILLIS = 2000;

    private enum State { AWAIT_CONNECT, CONNECTING, ATTACHED, CLOSED }

    private final long id = IDS.incrementAndGet();
    private final SessionRuntime runtime;
    private final SessionDirectories directories;
    private final AtomicInteger unprocessed = new AtomicInteger();
    private final ArrayDeque<Object> pendingUntilAttached = new ArrayDeque<>();
    /**
     * Packets the session actor has sent, waiting for its next {@link #flush}: the event loop writes them all in one
     * task. Writing each from the actor's thread would hand the event loop one task per packet plus one per flush,
     * which under load was most of the broker's CPU time (profiled: 48% of samples in the event loops' task runs).
     * Unbounded in effect (back-pressure bounds it), in chunks of 32 rather than Netty's default 1,024: most
     * connections hold a packet or two, and a 1,024-slot array per connection was 11% of the connect path's
     * allocation.
     */
    private final Queue<MqttMessage> pendingWrites = PlatformDependent.newMpscQueue(32, 1 << 30);
    /** Estimated bytes in {@link #pendingWrites}, counted against the channel's write buffer like Netty's own. */
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicBoolean writeScheduled = new AtomicBoolean();
    /** The session was told "not writable" because of {@link #pendingWrites}: it waits for a Writable. */
    private volatile boolean heldBack;

    private Channel channel;
    private State state = State.AWAIT_CONNECT;
    /**
     * The deadline of the connection's start: CONNECT within the connect timeout, then the session's attach within
     * as long again. Cancelled when met and when the channel closes: an uncancelled task would keep the closed
     * connection, its session reference and buffers reachable from the event loop until it fired.
     */
    private ScheduledFuture<?> connectTimeout;
    private volatile ActorRef<SessionActor.Command> session;
    private volatile boolean mqtt5;
    private volatile long clientMaximumPacketSize = Long.MAX_VALUE;
    private volatile String closeReason;
    private volatile boolean graceful;
    private volatile boolean held;
    /** HOLD_* reasons now in force; written by the session actor only. */
    private volatile int heldFor;
    /** The session was told the connection is gone (event loop only). */
    private boolean lostReported;

    MqttConnection(SessionRuntime runtime, SessionDirectories directories) {
        this.runtime = runtime;
        this.directories = directories;
    }

    long id() {
        return id;
    }

    boolean isMqtt5() {
        return mqtt5;
    }

    String remoteAddress() {
        SocketAddress address = channel == null ? null : channel.remoteAddress();
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    // ---- called by the session actor (any thread) -------------------------------------------------------------

    /** Queues a packet for the next {@link #flush}; callable from any thread. */
    void send(MqttMessage message) {
        pendingBytes.addAndGet(estimatedSize(message));
        pendingWrites.add(message);
    }

    /** Writes and flushes, on the event loop, everything {@link #send} queued until now. */
    void flush() {
        if (writeScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this::writePending);
        }
    }

    boolean isWritable() {
        if (pendingBytes.get() >= channel.config().getWriteBufferHighWaterMark()) {
            heldBack = true;
            flush();
            return false;
        }
        return channel.isWritable();
    }

    /** Event loop: the queued packets in order, one flush, and a Writable for a session that was held back. */
    private void writePending() {
        // cleared first: a send after this point schedules its own run, one before it is written below
        writeScheduled.set(false);
        MqttMessage m;
        boolean wrote = false;
        while ((m = pendingWrites.poll()) != null) {
            pendingBytes.addAndGet(-estimatedSize(m));
            channel.write(m, channel.voidPromise());
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
        ActorRef<SessionActor.Command> s = session;
        if (heldBack && channel.isWritable() && s != null) {
            heldBack = false;
            s.tell(new SessionActor.Writable(this));
        }
    }

    private static long estimatedSize(MqttMessage m) {
        // what Netty's size estimator would count once encoded: the payload dominates, the rest is a small header
        return m instanceof MqttPublishMessage p ? p.content().readableBytes() + 64L : 16L;
    }

    private void releasePendingWrites() {
        MqttMessage m;
        while ((m = pendingWrites.poll()) != null) {
            pendingBytes.addAndGet(-estimatedSize(m));
            ReferenceCountUtil.release(m);
        }
    }

    boolean isClosing() {
        return closeReason != null;
    }

    void processed() {
        if (unprocessed.decrementAndGet() == runtime.settings().inboundBufferHighWatermark() / 2 && !held) {
            channel.config().setAutoRead(true);
        }
    }

    /** Why a session pauses reading this socket: its publishes wait for the integrity log. */
    static final int HOLD_FOR_LOG = 1;
    /** Why a session pauses reading this socket: its messages go to subscribers whose queues are full. */
    static final int HOLD_FOR_SUBSCRIBERS = 2;

    /** The session pauses (or resumes) reading this socket for one reason; reading resumes when none is left. */
    void holdReading(int reason, boolean hold) {
        int reasons = hold ? heldFor | reason : heldFor & ~reason;
        heldFor = reasons;
        held = reasons != 0;
        if (held) {
            channel.config().setAutoRead(false);
        } else if (unprocessed.get() < runtime.settings().inboundBufferHighWatermark()) {
            channel.config().setAutoRead(true);
        }
    }

    /** Gives the connection its session; packets that arrived meanwhile are handed over in order. */
    void attach(ActorRef<SessionActor.Command> sessionRef) {
        channel.eventLoop().execute(() -> {
            // the CONNACK the session queued before attaching goes first: nothing may precede it (MQTT-3.2.0-1)
            writePending();
            session = sessionRef;
            if (state == State.CLOSED) {
                sessionRef.tell(new SessionActor.ConnectionLost(this, reasonOr("connection lost"), graceful));
                return;
            }
            state = State.ATTACHED;
            connectTimeout.cancel(false);
            while (!pendingUntilAttached.isEmpty() && closeReason == null) {
                forward(pendingUntilAttached.poll());
            }
            pendingUntilAttached.clear();
            if (unprocessed.get() < runtime.settings().inboundBufferHighWatermark() && !held) {
                channel.config().setAutoRead(true);
            }
        });
    }

    /** Ends the connection after a normal DISCONNECT from the client. */
    void closeGracefully(String reason) {
        graceful = true;
        closeWith(reason);
    }

    void closeWith(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        channel.close();
    }

    /** Server-initiated end: MQTT 5 clients are told why with a DISCONNECT first. */
    void disconnect(MqttReasonCodes.Disconnect code, String reason) {
        if (closeReason != null || channel == null) {
            return;
        }
        closeReason = reason;
        if (mqtt5) {
            MqttProperties props = new MqttProperties();
            // a reason string is only added when it cannot push the packet over the client's limit
            if (reason.length() < 100 && clientMaximumPacketSize > 128) {
                props.add(new MqttProperties.StringProperty(MqttPropertyType.REASON_STRING.value(), reason));
            }
            MqttMessage disconnect = MqttMessageBuilders.disconnect().reasonCode(code.byteValue()).properties(props)
                    .build();
            // after what the session sent before it, as when every write was its own event loop task
            channel.eventLoop().execute(() -> {
                writePending();
                channel.writeAndFlush(disconnect).addListener(f -> lingerThenClose());
            });
        } else {
            channel.close();
        }
    }

    // ---- Netty callbacks (event loop) -------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        runtime.metrics().connectionsAccepted.increment();
        runtime.metrics().connectionsOpen.increment();
        long timeoutMillis = runtime.settings().connectTimeout().toMillis();
        connectTimeout = ctx.executor().schedule(() -> {
            if (state == State.AWAIT_CONNECT) {
                closeWith("no CONNECT within " + timeoutMillis + " ms");
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        runtime.metrics().connectionsOpen.decrement();
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
        }
        State was = state;
        state = State.CLOSED;
        for (Object pending : pendingUntilAttached) {
            if (pending instanceof SubscribePacket sp) {
                runtime.fence().subscribeDone(sp.ticket());
            }
            ReferenceCountUtil.release(pending);
        }
        pendingUntilAttached.clear();
        releasePendingWrites();
        if (was == State.ATTACHED && !graceful) {
            // after a client's DISCONNECT the session has detached already (and may have ended)
            reportLost();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closeReason != null) {
            ReferenceCountUtil.release(msg); // closing: whatever still arrives is read and dropped
            return;
        }
        if (!(msg instanceof MqttMessage message)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (message.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            Throwable cause = message.decoderResult().cause();
            afterConnAck(() -> onDecodeFailure(cause));
            return;
        }
        MqttMessageType type = message.fixedHeader().messageType();
        switch (state) {
            case AWAIT_CONNECT -> {
                if (type == MqttMessageType.CONNECT) {
                    onConnect((MqttConnectMessage) message);
                } else {
                    ReferenceCountUtil.release(msg);
                    protocolViolation(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "first packet was " + type + ", not CONNECT");
                }
            }
            case CONNECTING, ATTACHED -> {
                if (type == MqttMessageType.CONNECT) {
                    afterConnAck(() -> protocolViolation(MqttReasonCodes.Disconnect.PROTOCOL_ERROR,
                            "second CONNECT on one connection"));
                } else if (type == MqttMessageType.PINGREQ) {
                    // stateless: answered here so pings never wait behind the session's work
                    afterConnAck(() -> ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP,
                            false, MqttQoS.AT_MOST_ONCE, false, 0))));
                } else {
                    Object packet = switch (type) {
                        case PUBLISH -> copyPublish((MqttPublishMessage) message, runtime.fence().position());
                        case SUBSCRIBE -> new SubscribePacket((MqttSubscribeMessage) message,
                                runtime.fence().subscribeArrived());
                        default -> message;
                    };
                    if (state == State.ATTACHED) {
                        forward(packet);
                    } else {
                        pendingUntilAttached.add(packet);
                    }
                }
            }
            case CLOSED -> ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            disconnect(MqttReasonCodes.Disconnect.KEEP_ALIVE_TIMEOUT, "keep alive timeout");
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ActorRef<SessionActor.Command> s = session;
        if (s != null && ctx.channel().isWritable()) {
            heldBack = false;
            s.tell(new SessionActor.Writable(this));
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection {} failed: {}", id, cause.toString());
        closeWith("connection error: " + cause.getClass().getSimpleName());
    }

    // ---- internals ------------------------------------------------------------------------------------------

    /**
     * Runs an action now, or once the session has sent CONNACK if the CONNECT is still being handled, so that
     * nothing reaches the client before its CONNACK (MQTT-3.2.0-1).
     */
    private void afterConnAck(Runnable action) {
        if (state == State.CONNECTING) {
            pendingUntilAttached.add(action);
        } else {
            action.run();
        }
    }

    private void forward(Object packet) {
        if (packet instanceof Runnable action) {
            action.run();
            return;
        }
        if (unprocessed.incrementAndGet() >= runtime.settings().inboundBufferHighWatermark()) {
            channel.config().setAutoRead(false);
        }
        session.tell(new SessionActor.Inbound(this, packet));
    }

    private static PublishPacket copyPublish(MqttPublishMessage publish, long fencePosition) {
        try {
            ByteBuf content = publish.content();
            byte[] payload = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), payload);
            MqttFixedHeader fh = publish.fixedHeader();
            return new PublishPacket(publish.variableHeader().topicName(), fh.qosLevel().value(), fh.isDup(),
                    fh.isRetain(), publish.variableHeader().packetId(), publish.variableHeader().properties(), payload,
                    fencePosition);
        } finally {
            publish.release();
        }
    }

    private String reasonOr(String fallback) {
        String r = closeReason;
        return r != null ? r : fallback;
    }

    private void protocolViolation(MqttReasonCodes.Disconnect code, String reason) {
        runtime.metrics().protocolErrors.increment();
        disconnect(code, "protocol error: " + reason);
    }

    private void onDecodeFailure(Throwable cause) {
        runtime.metrics().protocolErrors.increment();
        mqtt5 = channel.attr(CODEC_VERSION).get() == MqttVersion.MQTT_5;
        if (state == State.AWAIT_CONNECT) {
            if (cause instanceof MqttUnacceptableProtocolVersionException && isKnownProtocolName(cause)) {
                // right protocol name, unsupported level: MQTT-3.1.2-2 wants return code 0x01 (3.1.1 format)
                channel.attr(CODEC_VERSION).set(MqttVersion.MQTT_3_1_1);
                mqtt5 = false;
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION, "unsupported protocol level");
            } else if (cause instanceof MqttIdentifierRejectedException) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, "client identifier rejected");
            } else if (mqtt5 && cause instanceof TooLongFrameException) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_PACKET_TOO_LARGE, "CONNECT too large");
            } else if (mqtt5) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET, "malformed CONNECT: " + cause.getMessage());
            } else {
                closeWith("malformed CONNECT: " + cause.getMessage());
            }
            return;
        }
        if (cause instanceof TooLongFrameException) {
            disconnect(MqttReasonCodes.Disconnect.PACKET_TOO_LARGE, "packet too large");
        } else if (cause instanceof PacketInspector.ProtocolViolation) {
            disconnect(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "protocol error: " + cause.getMessage());
        } else {
            disconnect(MqttReasonCodes.Disconnect.MALFORMED_PACKET, "malformed packet: " + cause.getMessage());
        }
    }

    private static boolean isKnownProtocolName(Throwable cause) {
        String m = String.valueOf(cause.getMessage());
        return (m.startsWith("MQTT ") || m.startsWith("MQIsdp ")) && m.contains("unknown protocol name");
    }

    /**
     * After the broker's last packet (an error CONNACK or a DISCONNECT): half-close, keep reading and dropping
     * until the client closes or {@link #LINGER_MILLIS} pass. Closing at once would reset the connection if the
     * client's packets are still arriving, and a reset can destroy our last packet before the client reads it.
     */
    /** Tells the session (once) that this connection is gone. Event loop. */
    private void reportLost() {
        ActorRef<SessionActor.Command> s = session;
        if (s != null && !lostReported) {
            lostReported = true;
            s.tell(new SessionActor.ConnectionLost(this, reasonOr("connection lost"), graceful));
        }
    }

    private void lingerThenClose() {
        if (state == State.ATTACHED) {
            // the session need not wait for the linger: its will and presence go out now
            reportLost();
        }
        if (!(channel instanceof SocketChannel socket) || !socket.isActive()) {
            channel.close();
            return;
        }
        socket.shutdownOutput().addListener(f -> {
            channel.config().setAutoRead(true);
            channel.eventLoop().schedule(() -> {
                channel.close();
            }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }

    private void refuse(MqttConnectReturnCode code, String reason) {
        runtime.metrics().connectionsRefused.increment();
        closeReason = "refused: " + reason;
        state = State.CLOSED;
        MqttConnAckMessage connAck = MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).build();
        channel.writeAndFlush(connAck).addListener(f -> lingerThenClose());
    }

    private void onConnect(MqttConnectMessage connect) {
        connectTimeout.cancel(false);
        MqttConnectVariableHeader header = connect.variableHeader();
        MqttConnectPayload payload = connect.payload();
        mqtt5 = header.version() == MqttVersion.MQTT_5.protocolLevel();
        MqttProperties props = header.properties();

        if (!header.isWillFlag() && (header.willQos() != 0 || header.isWillRetain())) {
            malformedConnect("will QoS or will retain set without will flag");
            return;
        }
        if (header.willQos() > 2) {
            malformedConnect("will QoS 3");
            return;
        }
        if (!mqtt5 && header.hasPassword() && !header.hasUserName()) {
            malformedConnect("password without user name");
            return;
        }
        if (mqtt5) {
            if (intProperty(props, MqttPropertyType.RECEIVE_MAXIMUM, -1) == 0
                    || intProperty(props, MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) == 0) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_PROTOCOL_ERROR, "receive maximum or maximum packet size 0");
                return;
            }
            if (props.getProperty(MqttPropertyType.AUTHENTICATION_METHOD.value()) != null) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_BAD_AUTHENTICATION_METHOD, "enhanced authentication not supported");
                return;
            }
            long maxPacket = intProperty(props, MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) & 0xFFFF_FFFFL;
            clientMaximumPacketSize = maxPacket == 0xFFFF_FFFFL ? Long.MAX_VALUE : maxPacket;
        }
        if (header.isWillFlag() && !TopicFilter.isValidTopicName(payload.willTopic())) {
            if (mqtt5) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_TOPIC_NAME_INVALID, "invalid will topic");
            } else {
                closeWith("invalid will topic");
            }
            return;
        }

        String clientId = payload.clientIdentifier();
        boolean assigned = false;
        boolean generated = false;
        if (clientId == null || !TopicFilter.isWellFormedText(clientId)) {
            refuse(mqtt5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
                    : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, "invalid client identifier");
            return;
        }
        if (clientId.isEmpty()) {
            if (!mqtt5 && !header.isCleanSession()) {
                // MQTT-3.1.3-8: a zero-byte client id needs clean session
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, "empty client id without clean session");
                return;
            }
            clientId = "anchormq-" + UUID.randomUUID();
            assigned = mqtt5;
            generated = true;
        }

        AccessPolicy.Decision decision = runtime.access().onConnect(clientId, payload.userName(),
                payload.passwordInBytes(), remoteAddress());
        if (!decision.allowed()) {
            refuse(mqtt5 ? MqttConnectReturnCode.valueOf((byte) decision.reasonCode())
                    : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED, "not authorized");
            return;
        }

        BrokerSettings settings = runtime.settings();
        int keepAlive = header.keepAliveTimeSeconds();
        boolean keepAliveAdjusted = false;
        if (mqtt5 && settings.maxKeepAlive() > 0 && (keepAlive == 0 || keepAlive > settings.maxKeepAlive())) {
            keepAlive = settings.maxKeepAlive();
            keepAliveAdjusted = true;
        }
        if (keepAlive > 0) {
            // MQTT-3.1.2-24 / MQTT-3.1.2-22: one and a half times the keep alive without a packet ends the connection
            long idleMillis = keepAlive * 1500L;
            channel.pipeline().addBefore(channel.pipeline().context(this).name(), "keepAlive",
                    new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        }
        state = State.CONNECTING;
        channel.config().setAutoRead(false);
        connectTimeout = channel.eventLoop().schedule(() -> {
            if (state == State.CONNECTING) {
                // the session never took the connection (it should always): do not leave it hanging unread
                log.warn("connection {} of client {} was not attached to its session in time", id, clientIdOf(connect));
                closeWith("session did not respond");
            }
        }, runtime.settings().connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        directories.of(clientId).tell(new SessionDirectory.Connect(this, connect, clientId, assigned, generated, keepAlive,
                keepAliveAdjusted));
    }

    private static String clientIdOf(MqttConnectMessage connect) {
        return connect.payload().clientIdentifier();
    }

    private void malformedConnect(String reason) {
        if (mqtt5) {
            refuse(MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET, reason);
        } else {
            runtime.metrics().connectionsRefused.increment();
            closeWith("malformed CONNECT: " + reason);
        }
    }

    static int intProperty(MqttProperties props, MqttPropertyType type, int absent) {
        MqttProperties.MqttProperty<?> p = props.getProperty(type.value());
        return p == null ? absent : (Integer) p.value();
    }

    /** MQTT 5 DISCONNECT reason code of a packet, for callers that need it. */
    static int reasonCodeOf(MqttMessage disconnect) {
        Object vh = disconnect.variableHeader();
        return vh instanceof MqttReasonCodeAndPropertiesVariableHeader h ? h.reasonCode() & 0xFF : 0;
    }
}
