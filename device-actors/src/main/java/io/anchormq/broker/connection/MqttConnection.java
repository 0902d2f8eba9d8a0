package io.anchormq.broker.connection;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.Workspace;
import io.anchormq.broker.auth.Authentication;
import io.anchormq.broker.auth.Authenticator;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.auth.ConnectAttempt;
import io.anchormq.broker.auth.ListenerProfile;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.session.ClientConnection;
import io.anchormq.broker.session.ConnectRequest;
import io.anchormq.broker.session.InboundPacket;
import io.anchormq.broker.session.MqttPacket;
import io.anchormq.broker.session.SessionActor;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.function.Function;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One network connection: the Netty side of a session. It runs on the channel's event loop and does only I/O work:
 * it checks the CONNECT ({@link ConnectChecks}), hands every later packet to the session actor, answers PINGREQ,
 * watches keep alive and stops reading the socket while the session has too many packets unprocessed. The session
 * actor owns all protocol state and writes its replies through {@link ClientConnection#send}.
 */
final class MqttConnection extends ChannelInboundHandlerAdapter implements ClientConnection {

    private static final Logger log = LoggerFactory.getLogger(MqttConnection.class);
    /** How long a connection the broker ends is kept half-open for the client to read the last packet. */
    private static final long LINGER_MILLIS = 2000;
    private static final MqttMessage PINGRESP =
            new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP, false, MqttQoS.AT_MOST_ONCE, false, 0));

    private enum State { AWAIT_CONNECT, CONNECTING, ATTACHED, CLOSED }

    private final Channel channel;
    private final BrokerSettings settings;
    private final BrokerMetrics metrics;
    private final SubscriptionFence fence;
    private final ConnectChecks checks;
    private final Authenticator authenticator;
    private final Function<String, Workspace> workspaces;
    private final Function<String, Workspace> openWorkspaces;
    private final PendingWrites writes;
    private final AtomicInteger unprocessed = new AtomicInteger();

    // event loop only
    private State state = State.AWAIT_CONNECT;
    private final ReadBeforeConnAck readBeforeConnAck;
    /**
     * The deadline of the connection's start: CONNECT within the connect timeout, then the session's attach within
     * as long again. Cancelled when met and when the channel closes: an uncancelled task would keep the closed
     * connection, its session reference and buffers reachable from the event loop until it fired.
     */
    private ScheduledFuture<?> startDeadline;
    /** The session was told the connection is gone. */
    private boolean lostReported;

    private volatile ActorRef<SessionActor.Command> session;
    /** Who the client is, once authentication admitted it. */
    private volatile ClientIdentity identity;
    /** Its authentication while it runs (event loop only). */
    private CompletionStage<Authentication> authenticating;
        /** Its workspace, once admitted (event loop only); it counts the connection against its quota. */
    private Workspace admittedTo;
    /** Its workspace's counters, once attached: they count the connection too (event loop only). */
    private BrokerMetrics workspaceMetrics;
    private volatile boolean mqtt5;
    private volatile long clientMaximumPacketSize = Long.MAX_VALUE;
    private volatile String closeReason;
    private volatile boolean graceful;
    /** The session was told "not writable" because of the pending writes: it waits for a Writable. */
    private volatile boolean heldBack;
    /** {@link ReadHold}s in force, one bit each; written by the session actor only. */
    private volatile int holds;

    MqttConnection(Channel channel, BrokerSettings settings, BrokerMetrics metrics, SubscriptionFence fence,
                   ConnectChecks checks, Authenticator authenticator, Function<String, Workspace> workspaces,
                   Function<String, Workspace> openWorkspaces) {
        this.channel = channel;
        this.settings = settings;
        this.metrics = metrics;
        this.fence = fence;
        this.checks = checks;
        this.authenticator = authenticator;
        this.workspaces = workspaces;
        this.openWorkspaces = openWorkspaces;
        this.writes = new PendingWrites(channel, this::afterWrite);
        this.readBeforeConnAck = new ReadBeforeConnAck(fence);
    }

    // ---- the session's port (any thread) ---------------------------------------------------------------------

    @Override
    public boolean isMqtt5() {
        return mqtt5;
    }

    @Override
    public String remoteAddress() {
        SocketAddress address = channel.remoteAddress();
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** Who the client is, or null before authentication admitted it. */
    ClientIdentity identity() {
        return identity;
    }

    /**
     * Ends an admitted client's connection from outside (its credential revoked, say): at once when attached, after
     * the CONNACK when it is still being attached (nothing may precede the CONNACK).
     */
    void disconnectFromOutside(MqttReasonCodes.Disconnect code, String reason) {
        channel.eventLoop().execute(() -> failAfterConnAck(() -> disconnect(code, reason)));
    }

    @Override
    public void send(MqttMessage packet) {
        writes.add(packet);
    }

    @Override
    public void flush() {
        writes.flush();
    }

    @Override
    public boolean isWritable() {
        if (writes.isFull()) {
            heldBack = true;
            writes.flush();
            return false;
        }
        return channel.isWritable();
    }

    @Override
    public boolean isClosing() {
        return closeReason != null;
    }

    @Override
    public void processed() {
        if (unprocessed.decrementAndGet() == settings.inboundBufferHighWatermark() / 2 && holds == 0) {
            channel.config().setAutoRead(true);
        }
    }

    @Override
    public void holdReading(ReadHold reason, boolean hold) {
        int bit = 1 << reason.ordinal();
        int now = hold ? holds | bit : holds & ~bit;
        holds = now;
        if (now != 0) {
            channel.config().setAutoRead(false);
        } else if (unprocessed.get() < settings.inboundBufferHighWatermark()) {
            channel.config().setAutoRead(true);
        }
    }

    @Override
    public void attached(ActorRef<SessionActor.Command> sessionRef) {
        channel.eventLoop().execute(() -> onAttached(sessionRef));
    }

    @Override
    public void closeGracefully(String reason) {
        graceful = true;
        closeWith(reason);
    }

    @Override
    public void disconnect(MqttReasonCodes.Disconnect code, String reason) {
        if (closeReason != null) {
            return;
        }
        closeReason = reason;
        if (!mqtt5) {
            channel.close();
            return;
        }
        MqttProperties props = new MqttProperties();
        // a reason string is only added when it cannot push the packet over the client's limit
        if (reason.length() < 100 && clientMaximumPacketSize > 128) {
            props.add(new MqttProperties.StringProperty(MqttPropertyType.REASON_STRING.value(), reason));
        }
        MqttMessage disconnect = MqttMessageBuilders.disconnect().reasonCode(code.byteValue()).properties(props).build();
        // after what the session sent before it, as when every write was its own event loop task
        channel.eventLoop().execute(() -> {
            writes.writeAll();
            channel.writeAndFlush(disconnect).addListener(f -> lingerThenClose());
        });
    }

    void closeWith(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        channel.close();
    }

    // ---- Netty callbacks (event loop) -------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        metrics.connectionsAccepted.increment();
        metrics.connectionsOpen.increment();
        long timeoutMillis = settings.connectTimeout().toMillis();
        startDeadline = ctx.executor().schedule(() -> {
            if (state == State.AWAIT_CONNECT) {
                closeWith("no CONNECT within " + timeoutMillis + " ms");
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        metrics.connectionsOpen.decrement();
        if (workspaceMetrics != null) {
            workspaceMetrics.connectionsOpen.decrement();
        }
        if (admittedTo != null) {
            admittedTo.quotas().connectionClosed();
        }
        if (startDeadline != null) {
            startDeadline.cancel(false);
        }
        State was = state;
        state = State.CLOSED;
        if (authenticating != null) {
            // an authenticator may skip the work for a connection that is gone (it waited in a queue, say)
            authenticating.toCompletableFuture().cancel(false);
        }
        readBeforeConnAck.drop();
        writes.release();
        if (was == State.ATTACHED && !graceful) {
            // after a client's DISCONNECT the session has detached already (and may have ended)
            reportLost();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closeReason != null || !(msg instanceof MqttMessage message)) {
            ReferenceCountUtil.release(msg); // closing: whatever still arrives is read and dropped
            return;
        }
        if (message.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            Throwable cause = message.decoderResult().cause();
            failAfterConnAck(() -> onDecodeFailure(cause));
            return;
        }
        MqttMessageType type = message.fixedHeader().messageType();
        if (state == State.AWAIT_CONNECT) {
            if (type == MqttMessageType.CONNECT) {
                onConnect((MqttConnectMessage) message);
            } else {
                ReferenceCountUtil.release(msg);
                protocolViolation(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "first packet was " + type + ", not CONNECT");
            }
        } else if (state == State.CLOSED || readBeforeConnAck.hasFailed()) {
            ReferenceCountUtil.release(msg); // the connection is ending, or will once CONNACK is out
        } else if (type == MqttMessageType.CONNECT) {
            failAfterConnAck(() -> protocolViolation(MqttReasonCodes.Disconnect.PROTOCOL_ERROR,
                    "second CONNECT on one connection"));
        } else if (type == MqttMessageType.PINGREQ) {
            // stateless: answered here so pings never wait behind the session's work
            if (state == State.CONNECTING) {
                readBeforeConnAck.ping();
            } else {
                ctx.writeAndFlush(PINGRESP);
            }
        } else if (state == State.ATTACHED) {
            forward(InboundPackets.of(message, fence));
        } else {
            readBeforeConnAck.add(InboundPackets.of(message, fence));
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
        log.debug("connection {} failed: {}", channel.id(), cause.toString());
        closeWith("connection error: " + cause.getClass().getSimpleName());
    }

    // ---- the start of a connection (event loop) ---------------------------------------------------------------

    private void onConnect(MqttConnectMessage connect) {
        startDeadline.cancel(false);
        mqtt5 = ConnectChecks.isMqtt5(connect);
        ConnectChecks.Verdict verdict = checks.check(connect);
        if (!(verdict instanceof ConnectChecks.Accept ok)) {
            reject(verdict);
            return;
        }
        if (mqtt5) {
            long maxPacket = MqttPacket.intProperty(connect.variableHeader().properties(),
                    MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) & 0xFFFF_FFFFL;
            clientMaximumPacketSize = maxPacket == 0xFFFF_FFFFL ? Long.MAX_VALUE : maxPacket;
        }
        if (ok.keepAlive() > 0) {
            // MQTT-3.1.2-24 / MQTT-3.1.2-22: one and a half times the keep alive without a packet ends the connection
            long idleMillis = ok.keepAlive() * 1500L;
            channel.pipeline().addBefore(channel.pipeline().context(this).name(), "keepAlive",
                    new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        }
        state = State.CONNECTING;
        channel.config().setAutoRead(false);
        startDeadline = channel.eventLoop().schedule(() -> {
            if (state == State.CONNECTING) {
                // the session never took the connection (it should always): do not leave it hanging unread
                log.warn("connection {} of client {} was not attached to its session in time", channel.id(),
                        ok.clientId());
                closeWith("session did not respond");
            }
        }, settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ConnectAttempt attempt = new ConnectAttempt(ListenerProfile.of(channel), ok.clientId(),
                connect.payload().userName(), connect.payload().passwordInBytes(), peerCertificate(), remoteAddress(),
                mqtt5);
        authenticating = authenticator.authenticate(attempt);
        authenticating.whenComplete((authentication, failure) -> {
            if (channel.eventLoop().inEventLoop()) {
                onAuthenticated(connect, ok, authentication, failure);
            } else {
                channel.eventLoop().execute(() -> onAuthenticated(connect, ok, authentication, failure));
            }
        });
    }

    /** Authentication decided: the workspace's session directory gets the CONNECT, or the client is refused. */
    private void onAuthenticated(MqttConnectMessage connect, ConnectChecks.Accept ok, Authentication authentication,
                                 Throwable failure) {
        if (state != State.CONNECTING) {
            return; // closed meanwhile
        }
        if (failure != null) {
            log.warn("authentication of client {} failed: {}", ok.clientId(), failure.toString());
            countRefusal(0x80, null, false);
            refuse(mqtt5 ? MqttConnectReturnCode.CONNECTION_REFUSED_UNSPECIFIED_ERROR
                    : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE, "authentication failed");
            return;
        }
        if (authentication instanceof Authentication.Refused r) {
            // only a workspace open already: a refusal must not open one (it may be deleted)
            countRefusal(r.reasonCode(), r.workspace() == null ? null : openWorkspaces.apply(r.workspace()),
                    r.afterPenalty());
            refuse(refusalCode(r.reasonCode(), mqtt5), r.reason());
            return;
        }
        ClientIdentity who = ((Authentication.Admitted) authentication).identity();
        if (who.isConfined() && connect.variableHeader().isWillFlag()) {
            countRefusal(Authentication.NOT_AUTHORIZED, openWorkspaces.apply(who.workspace()), false);
            refuse(refusalCode(Authentication.NOT_AUTHORIZED, mqtt5), "anonymous clients here may not leave a will");
            return;
        }
        Workspace workspace = workspaces.apply(who.workspace());
        // the identity first, then the check: a workspace closed after the check disconnects this client too
        identity = who;
        if (workspace.isClosed()) {
            // deleted while this client was being authenticated: its directory is stopped
            countRefusal(Authentication.NOT_AUTHORIZED, null, false);
            refuse(refusalCode(Authentication.NOT_AUTHORIZED, mqtt5), "workspace deleted");
            return;
        }
        if (!workspace.quotas().admitConnection()) {
            workspace.metrics().quotaRefusals.increment();
            countRefusal(QUOTA_EXCEEDED, workspace, false);
            refuse(refusalCode(QUOTA_EXCEEDED, mqtt5), "the workspace has its maximum of connections");
            return;
        }
        admittedTo = workspace;
        workspace.sessions().connect(new ConnectRequest(this, connect, ok.clientId(), ok.assignedId(), ok.generatedId(),
                ok.keepAlive(), ok.keepAliveAdjusted(), who));
    }

    /** MQTT 5's "quota exceeded". */
    private static final int QUOTA_EXCEEDED = 0x97;

    /** The CONNACK code of a refusal: 3.1.1 has only a few, so 5.0's reason codes map to the nearest. */
    static MqttConnectReturnCode refusalCode(int reasonCode, boolean mqtt5) {
        if (mqtt5) {
            return MqttConnectReturnCode.valueOf((byte) reasonCode);
        }
        return switch (reasonCode) {
            case Authentication.BAD_USER_NAME_OR_PASSWORD -> MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
            case Authentication.SERVER_BUSY, Authentication.SERVER_UNAVAILABLE, QUOTA_EXCEEDED ->
                    MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
            default -> MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
        };
    }

    /** The client's certificate, when the connection is TLS and the client presented one (the handshake checked it). */
    private X509Certificate peerCertificate() {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** The session took the connection: CONNACK first, then what was read meanwhile. */
    private void onAttached(ActorRef<SessionActor.Command> sessionRef) {
        // the CONNACK the session queued before attaching goes first: nothing may precede it (MQTT-3.2.0-1)
        writes.writeAll();
        session = sessionRef;
        if (state == State.CLOSED) {
            sessionRef.tell(new SessionActor.ConnectionLost(this, reasonOr("connection lost"), graceful));
            return;
        }
        state = State.ATTACHED;
        startDeadline.cancel(false);
        workspaceMetrics = admittedTo.metrics();
        workspaceMetrics.connectionsAccepted.increment();
        workspaceMetrics.connectionsOpen.increment();
        readBeforeConnAck.handOver(() -> channel.writeAndFlush(PINGRESP), this::forward, () -> closeReason == null);
        if (unprocessed.get() < settings.inboundBufferHighWatermark() && holds == 0) {
            channel.config().setAutoRead(true);
        }
    }

    /** Acts on a failure now, or once the session has sent CONNACK if the CONNECT is still being handled. */
    private void failAfterConnAck(Runnable failure) {
        if (state == State.CONNECTING) {
            readBeforeConnAck.fail(failure);
        } else {
            failure.run();
        }
    }

    private void forward(InboundPacket packet) {
        if (unprocessed.incrementAndGet() >= settings.inboundBufferHighWatermark()) {
            channel.config().setAutoRead(false);
        }
        session.tell(new SessionActor.Inbound(this, packet));
    }

    // ---- the end of a connection (event loop) -----------------------------------------------------------------

    /** After the pending writes: a session that was held back hears it may write again. */
    private void afterWrite() {
        ActorRef<SessionActor.Command> s = session;
        if (heldBack && channel.isWritable() && s != null) {
            heldBack = false;
            s.tell(new SessionActor.Writable(this));
        }
    }

    private String reasonOr(String fallback) {
        String r = closeReason;
        return r != null ? r : fallback;
    }

    private void protocolViolation(MqttReasonCodes.Disconnect code, String reason) {
        metrics.protocolErrors.increment();
        disconnect(code, "protocol error: " + reason);
    }

    private void onDecodeFailure(Throwable cause) {
        metrics.protocolErrors.increment();
        mqtt5 = channel.attr(PacketInspector.CODEC_VERSION).get() == MqttVersion.MQTT_5;
        if (state == State.AWAIT_CONNECT) {
            ConnectChecks.Verdict verdict = ConnectChecks.ofUndecodable(cause, mqtt5);
            if (verdict instanceof ConnectChecks.Refuse r
                    && r.code() == MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION) {
                // the refusal is in the 3.1.1 format whatever level the client asked for (MQTT-3.1.2-2)
                channel.attr(PacketInspector.CODEC_VERSION).set(MqttVersion.MQTT_3_1_1);
                mqtt5 = false;
            }
            reject(verdict);
        } else if (cause instanceof TooLongFrameException) {
            disconnect(MqttReasonCodes.Disconnect.PACKET_TOO_LARGE, "packet too large");
        } else if (cause instanceof PacketInspector.ProtocolViolation) {
            disconnect(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "protocol error: " + cause.getMessage());
        } else {
            disconnect(MqttReasonCodes.Disconnect.MALFORMED_PACKET, "malformed packet: " + cause.getMessage());
        }
    }

    /** A CONNECT that may not have a session: refused with a CONNACK, or (3.1.1) the connection just closes. */
    private void reject(ConnectChecks.Verdict verdict) {
        if (verdict instanceof ConnectChecks.Refuse r) {
            countRefusal(r.code().byteValue() & 0xFF, null, false);
            refuse(r.code(), r.reason());
        } else if (verdict instanceof ConnectChecks.Close c) {
            if (c.countAsRefused()) {
                countRefusal(MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET.byteValue() & 0xFF, null,
                        false);
            }
            closeWith(c.reason());
        }
    }

    /**
     * Counts a refused CONNECT for the listeners, and for the workspace whose credential it failed to prove, if
     * known (and open).
     *
     * @param reasonCode MQTT 5's reason code, or the 3.1.1 return code sent
     */
    private void countRefusal(int reasonCode, Workspace of, boolean afterPenalty) {
        String listener = ListenerProfile.of(channel).name();
        metrics.connectionsRefused.increment();
        metrics.refusals.count(listener, reasonCode, afterPenalty);
        if (of != null) {
            of.metrics().connectionsRefused.increment();
            of.metrics().refusals.count(listener, reasonCode, afterPenalty);
        }
    }

    private void refuse(MqttConnectReturnCode code, String reason) {
        closeReason = "refused: " + reason;
        state = State.CLOSED;
        MqttConnAckMessage connAck = MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).build();
        channel.writeAndFlush(connAck).addListener(f -> lingerThenClose());
    }

    /** Tells the session (once) that this connection is gone. */
    private void reportLost() {
        ActorRef<SessionActor.Command> s = session;
        if (s != null && !lostReported) {
            lostReported = true;
            s.tell(new SessionActor.ConnectionLost(this, reasonOr("connection lost"), graceful));
        }
    }

    /**
     * After the broker's last packet (an error CONNACK or a DISCONNECT): half-close, keep reading and dropping
     * until the client closes or {@link #LINGER_MILLIS} pass. Closing at once would reset the connection if the
     * client's packets are still arriving, and a reset can destroy our last packet before the client reads it.
     */
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
}
