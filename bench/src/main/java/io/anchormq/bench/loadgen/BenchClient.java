package io.anchormq.bench.loadgen;

import io.anchormq.bench.loadgen.LoadRun.Latencies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One MQTT connection of the load generator, as publisher, subscriber or idle (connection-rate runs). Everything
 * except the volatile counters runs on the channel's event loop. The client checks what the broker sends as
 * strictly as a test would: anything unexpected is a protocol error of the run.
 */
final class BenchClient extends ChannelInboundHandlerAdapter {

    enum Role { PUBLISHER, SUBSCRIBER, IDLE }

    private static final int MAX_PACKET_ID = 65_535;
    /** PUBLISHes written per turn on the event loop before other connections get theirs. */
    private static final int BURST = 64;
    /** First bytes of the 4-byte acknowledgements (type and flags; remaining length 2, then the packet id). */
    private static final int PUBACK = 0x40;
    private static final int PUBREC = 0x50;
    private static final int PUBREL = 0x62;
    private static final int PUBCOMP = 0x70;

    private final LoadRun run;
    private final LoadSpec spec;
    private final Role role;
    private final String clientId;
    /** Publisher: its index in the stamps. Subscriber: the sink it records into. */
    private final int index;
    /** Publisher: the topic. Subscriber: the filter. */
    private final String topic;
    private final MqttQoS qos;
    /**
     * Persistent sessions: this is the first connection under its client id, which makes the session (a subscriber
     * subscribes) and is then closed; the measured connection after it must find the session.
     */
    private final boolean priming;

    final CompletableFuture<BenchClient> ready = new CompletableFuture<>();
    /** Its number among all the run's connections: which identity (credential, certificate) it uses. */
    int identity;
    private Channel channel;
    private long connectStartNanos;
    private volatile boolean closingByUs;
    private ScheduledFuture<?> pinger;
    /**
     * The PUBLISHes and acknowledgements written since the last flush, as bytes: one buffer and one write into the
     * pipeline per flush, where an encoded message each cost a message object, a buffer and a pass through the
     * encoder. Other packets (CONNECT, SUBSCRIBE, PINGREQ, DISCONNECT) still go through Netty's MqttEncoder, after
     * what is pending here.
     */
    private ByteBuf out;
    /** This publisher's PUBLISH as bytes (fixed header, topic, packet id 0, payload of zeros); null for others. */
    private final byte[] publishPacket;
    private final int packetIdAt;
    private final int stampAt;
    private Latencies latencies;

    // publisher state
    private int window;
    /** Packet ids of our QoS 1/2 PUBLISHes not yet acknowledged. */
    private final BitSet awaitingAck = new BitSet();
    /** Packet ids of our QoS 2 PUBLISHes for which PUBREL has been sent. */
    private final BitSet released = new BitSet();
    private int nextPacketId = 1;
    /**
     * Send time of each QoS 1/2 PUBLISH in flight, for the acknowledgement latency, by packet id modulo a power of
     * two of at least 4 x the window; an id whose slot is taken is skipped, so no two in flight share one.
     */
    private final long[] sentAt;
    private final int[] slotOwner;
    private int inflight;
    private long sequence;
    private long startNanos;
    private long measureFromNanos;
    private long stopNanos;
    private boolean publishing;
    private ScheduledFuture<?> ticker;
    volatile long sent;
    volatile long sentMeasured;
    volatile long acknowledged;
    volatile int inflightNow;

    // subscriber state
    /** Packet ids of QoS 2 messages received and acknowledged with PUBREC, awaiting PUBREL. */
    private final BitSet awaitingRelease = new BitSet();
    volatile long received;
    volatile long receivedMeasured;

    BenchClient(LoadRun run, Role role, String clientId, int index, String topic) {
        this(run, role, clientId, index, topic, false);
    }

    /** @param priming the first of the two connections a persistent session gets (see {@link #priming}) */
    BenchClient(LoadRun run, Role role, String clientId, int index, String topic, boolean priming) {
        this.run = run;
        this.priming = priming;
        this.spec = run.spec();
        this.role = role;
        this.clientId = clientId;
        this.index = index;
        this.topic = topic;
        this.qos = MqttQoS.valueOf(spec.qos());
        this.window = spec.inflight();
        int slots = role == Role.PUBLISHER && qos != MqttQoS.AT_MOST_ONCE
                ? Math.min(1 << 16, Integer.highestOneBit(Math.max(16, 4 * window) - 1) << 1) : 0;
        this.sentAt = new long[slots];
        this.slotOwner = new int[slots];
        if (role == Role.PUBLISHER) {
            byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
            int variable = 2 + topicBytes.length + (qos != MqttQoS.AT_MOST_ONCE ? 2 : 0) + (spec.mqtt5() ? 1 : 0);
            int remaining = variable + spec.payloadSize();
            ByteBuf template = Unpooled.buffer(5 + remaining);
            template.writeByte(0x30 | qos.value() << 1);
            for (int left = remaining; ; ) {
                // the remaining length's variable-length encoding: 7 bits per byte, high bit = more follows
                int digit = left & 0x7F;
                left >>>= 7;
                template.writeByte(left > 0 ? digit | 0x80 : digit);
                if (left == 0) {
                    break;
                }
            }
            template.writeShort(topicBytes.length).writeBytes(topicBytes);
            packetIdAt = qos != MqttQoS.AT_MOST_ONCE ? template.writerIndex() : -1;
            if (qos != MqttQoS.AT_MOST_ONCE) {
                template.writeShort(0);
            }
            if (spec.mqtt5()) {
                template.writeByte(0); // no properties
            }
            stampAt = template.writerIndex();
            template.writeZero(spec.payloadSize());
            publishPacket = ByteBufUtil.getBytes(template);
        } else {
            publishPacket = null;
            packetIdAt = -1;
            stampAt = -1;
        }
    }

    Role role() {
        return role;
    }

    /** The priming connection for this client's persistent session: same client id, role, index and topic. */
    BenchClient priming(LoadRun run) {
        return new BenchClient(run, role, clientId, index, topic, true);
    }

    int index() {
        return index;
    }

    String clientId() {
        return clientId;
    }

    void connecting() {
        connectStartNanos = System.nanoTime();
    }

    // ---- connection ---------------------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        latencies = run.latencies();
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls == null) {
            sendConnect(ctx);
            return;
        }
        // CONNECT once the handshake is done, so that a failed handshake is reported as such
        tls.handshakeFuture().addListener(done -> {
            if (done.isSuccess()) {
                run.negotiated(tls.engine().getSession());
                sendConnect(ctx);
            } else {
                fail("TLS handshake failed: " + done.cause());
                ctx.close();
            }
        });
    }

    private void sendConnect(ChannelHandlerContext ctx) {
        ClientSecurity security = spec.security();
        LoadSpec.Sessions sessions = spec.sessions();
        MqttMessageBuilders.ConnectBuilder connect = MqttMessageBuilders.connect()
                .clientId(clientId)
                .protocolVersion(spec.mqtt5() ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1)
                // MQTT 5: Clean Start (the same bit)
                .cleanSession(!sessions.persistent())
                .keepAlive(spec.keepAliveSeconds())
                .username(security.username(identity))
                .password(security.password(identity));
        if (spec.mqtt5() && sessions.persistent()) {
            MqttProperties properties = new MqttProperties();
            properties.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), (int) sessions.expirySeconds()));
            connect.properties(properties);
        }
        ctx.writeAndFlush(connect.build());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimers();
        if (out != null) {
            out.release();
            out = null;
        }
        if (!closingByUs) {
            fail(ready.isDone() ? "connection closed by the broker" : "connection closed before CONNACK");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail("connection error: " + cause);
        ctx.close();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && publishing && spec.ratePerPublisher() == 0) {
            pump();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof MqttMessage m)) {
                fail("unexpected object from the codec: " + msg.getClass().getName());
                return;
            }
            if (m.decoderResult().isFailure()) {
                fail("malformed packet from the broker: " + m.decoderResult().cause());
                return;
            }
            MqttMessageType type = m.fixedHeader().messageType();
            if (!ready.isDone() && type != MqttMessageType.CONNACK && type != MqttMessageType.SUBACK) {
                fail(type + " before the session was set up");
                return;
            }
            // PUBLISH and its acknowledgements never get here: MqttFrames hands them to onPacket
            switch (type) {
                case CONNACK -> onConnAck((MqttConnAckMessage) m);
                case SUBACK -> onSubAck((MqttSubAckMessage) m);
                case PINGRESP -> { }
                case DISCONNECT -> fail("DISCONNECT from the broker" + reasonOf(m));
                default -> fail("unexpected " + type + " from the broker");
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onConnAck(MqttConnAckMessage ack) {
        if (ready.isDone()) {
            fail("second CONNACK");
            return;
        }
        MqttConnectReturnCode code = ack.variableHeader().connectReturnCode();
        if (code != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            fail("CONNACK refused: " + code);
            return;
        }
        if (spec.mqtt5()) {
            MqttProperties.MqttProperty<?> max = ack.variableHeader().properties()
                    .getProperty(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value());
            if (max != null) {
                // a client exceeding the broker's Receive Maximum is disconnected (MQTT-3.3.4-7)
                window = Math.min(window, (Integer) max.value());
            }
        }
        if (spec.keepAliveSeconds() > 0) {
            long period = Math.max(1, spec.keepAliveSeconds() / 2);
            pinger = channel.eventLoop().scheduleAtFixedRate(() -> {
                writePending();
                channel.writeAndFlush(new MqttMessage(
                        new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            }, period, period, TimeUnit.SECONDS);
        }
        boolean resumed = false;
        if (spec.sessions().persistent() && !priming && role != Role.IDLE) {
            // the priming connection made this session: a broker that did not keep it would measure clean sessions
            if (!ack.variableHeader().isSessionPresent()) {
                fail("CONNACK with session present 0: the broker did not keep the persistent session made by the "
                        + "priming connection");
                return;
            }
            resumed = true;
        }
        if (role == Role.SUBSCRIBER && !resumed) {
            channel.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1).addSubscription(qos, topic).build());
        } else {
            // a resumed subscriber's subscription is in its session already
            becomeReady();
        }
    }

    private void onSubAck(MqttSubAckMessage ack) {
        if (role != Role.SUBSCRIBER || ready.isDone() || ack.variableHeader().messageId() != 1) {
            fail("unexpected SUBACK");
            return;
        }
        int code = ack.payload().reasonCodes().get(0);
        if (code >= 0x80) {
            fail("SUBSCRIBE " + topic + " refused with 0x" + Integer.toHexString(code));
            return;
        }
        becomeReady();
    }

    private void becomeReady() {
        if (!priming) {
            run.connectTime(System.nanoTime() - connectStartNanos);
        }
        ready.complete(this);
    }

    /** Sends DISCONNECT and closes; the broker closing first is then no error. */
    void disconnect() {
        closingByUs = true;
        if (channel == null) {
            return;
        }
        channel.eventLoop().execute(() -> {
            cancelTimers();
            publishing = false;
            if (channel.isActive()) {
                writePending();
                channel.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false,
                        MqttQoS.AT_MOST_ONCE, false, 0))).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    void abandon() {
        closingByUs = true;
        if (channel != null) {
            channel.close();
        }
    }

    Channel channel() {
        return channel;
    }

    private void fail(String problem) {
        if (closingByUs) {
            return;
        }
        run.protocolError(clientId + ": " + problem);
        ready.completeExceptionally(new IllegalStateException(clientId + ": " + problem));
    }

    /** Room for {@code bytes} more in the pending buffer. */
    private ByteBuf out(int bytes) {
        if (out == null) {
            // pooled, from this event loop's cache; it grows should a burst need more
            out = channel.alloc().ioBuffer(Math.max(bytes, 256));
        }
        return out;
    }

    private void writePending() {
        if (out != null) {
            ByteBuf pending = out;
            out = null;
            channel.write(pending, channel.voidPromise());
        }
    }

    private void flush() {
        writePending();
        channel.flush();
    }

    private void acknowledge(int firstByte, int packetId) {
        out(4).writeByte(firstByte).writeByte(2).writeShort(packetId);
    }

    private void cancelTimers() {
        if (pinger != null) {
            pinger.cancel(false);
        }
        if (ticker != null) {
            ticker.cancel(false);
        }
    }

    // ---- publishing ---------------------------------------------------------------------------------------

    /** Publishes from {@code startNanos} until {@code stopNanos}; only messages from {@code measureFromNanos} count for rates. */
    void publish(long start, long measureFrom, long stop) {
        channel.eventLoop().execute(() -> {
            startNanos = start;
            measureFromNanos = measureFrom;
            stopNanos = stop;
            publishing = true;
            long delay = Math.max(0, start - System.nanoTime());
            if (spec.ratePerPublisher() > 0) {
                long tick = Math.max(1_000_000L, (long) (1e9 / spec.ratePerPublisher()));
                ticker = channel.eventLoop().scheduleAtFixedRate(this::onTick, delay, tick, TimeUnit.NANOSECONDS);
            } else {
                channel.eventLoop().schedule(this::pump, delay, TimeUnit.NANOSECONDS);
            }
        });
    }

    /** As fast as possible: fill the window while the socket takes more. */
    private void pump() {
        long now = fill();
        flush();
        if (now - stopNanos >= 0) {
            publishing = false;
        } else if (qos == MqttQoS.AT_MOST_ONCE && channel.isWritable()) {
            // QoS 0 has no acknowledgements to wake us: come back after the other channels' turn
            channel.eventLoop().execute(this::pump);
        }
    }

    /** Writes up to a burst of PUBLISHes without flushing; returns the time it stopped. */
    private long fill() {
        long now = System.nanoTime();
        if (!publishing) {
            return now;
        }
        int burst = BURST;
        while (burst-- > 0 && canSend(now)) {
            publishOne(now);
            now = System.nanoTime();
        }
        return now;
    }

    /** Fixed rate: send what is due by now, as far as the window and the socket allow (the rest catches up). */
    private void onTick() {
        long now = System.nanoTime();
        if (now - stopNanos >= 0) {
            publishing = false;
            ticker.cancel(false);
            return;
        }
        long due = (long) ((now - startNanos) * spec.ratePerPublisher() / 1e9) + 1 - sequence;
        while (due-- > 0 && canSend(now)) {
            publishOne(now);
            now = System.nanoTime();
        }
        flush();
    }

    private boolean canSend(long now) {
        return now - stopNanos < 0 && channel.isWritable() && (qos == MqttQoS.AT_MOST_ONCE || inflight < window);
    }

    /** Appends one PUBLISH stamped {@code now}, which is also its send time for the acknowledgement latency. */
    private void publishOne(long now) {
        ByteBuf buf = out(Math.min(BURST * publishPacket.length, 64 * 1024));
        int at = buf.writerIndex();
        buf.writeBytes(publishPacket);
        if (qos != MqttQoS.AT_MOST_ONCE) {
            int packetId = allocatePacketId();
            awaitingAck.set(packetId);
            slotOwner[packetId & (slotOwner.length - 1)] = packetId;
            sentAt[packetId & (sentAt.length - 1)] = now;
            released.clear(packetId);
            inflight++;
            inflightNow = inflight;
            buf.setShort(at + packetIdAt, packetId);
        }
        Stamp.set(buf, at + stampAt, now, index, sequence++);
        sent++;
        if (now - measureFromNanos >= 0) {
            sentMeasured++;
        }
    }

    private int allocatePacketId() {
        while (awaitingAck.get(nextPacketId) || slotOwner[nextPacketId & (slotOwner.length - 1)] != 0) {
            nextPacketId = nextPacketId == MAX_PACKET_ID ? 1 : nextPacketId + 1;
        }
        int id = nextPacketId;
        nextPacketId = nextPacketId == MAX_PACKET_ID ? 1 : nextPacketId + 1;
        return id;
    }

    private void onPubRec(int packetId, int reason) {
        if (qos != MqttQoS.EXACTLY_ONCE || !awaitingAck.get(packetId)) {
            fail("PUBREC for packet id " + packetId + " not in flight at QoS 2");
            return;
        }
        if (failedReason(MqttMessageType.PUBREC, reason)) {
            return;
        }
        released.set(packetId);
        acknowledge(PUBREL, packetId);
    }

    private void onPublisherAck(int packetId, MqttMessageType type, int reason) {
        boolean expected = type == MqttMessageType.PUBACK
                ? qos == MqttQoS.AT_LEAST_ONCE && awaitingAck.get(packetId)
                : qos == MqttQoS.EXACTLY_ONCE && awaitingAck.get(packetId) && released.get(packetId);
        if (!expected) {
            fail(type + " for packet id " + packetId + " not awaiting it");
            return;
        }
        if (failedReason(type, reason)) {
            return;
        }
        awaitingAck.clear(packetId);
        int slot = packetId & (slotOwner.length - 1);
        slotOwner[slot] = 0;
        run.acknowledgement(sentAt[slot], System.nanoTime(), latencies.ack);
        inflight--;
        inflightNow = inflight;
        acknowledged++;
        if (publishing && spec.ratePerPublisher() == 0) {
            // flushed with the rest of this read in channelReadComplete
            fill();
        }
    }

    /** MQTT 5 acknowledgements carry a reason code; 0x80 and above mean the broker did not take the message. */
    private boolean failedReason(MqttMessageType type, int reason) {
        if (reason >= 0x80) {
            fail(type + " reason 0x" + Integer.toHexString(reason));
            return true;
        }
        return false;
    }

    // ---- receiving ----------------------------------------------------------------------------------------

    /**
     * A PUBLISH, PUBACK, PUBREC, PUBREL or PUBCOMP from {@link MqttFrames}: its first byte, and its {@code length}
     * bytes after the fixed header at {@code at} in {@code buf}. Checked as Netty's MqttDecoder checks them (reserved
     * flags, QoS, packet ids, lengths, no wildcard in a PUBLISH topic; MQTT 5 properties are skipped, not parsed).
     *
     * @return what is malformed about it, or null
     */
    String onPacket(int first, ByteBuf buf, int at, int length) {
        int type = first >> 4;
        int flags = first & 0x0F;
        if (!ready.isDone()) {
            fail(MqttMessageType.valueOf(type) + " before the session was set up");
            return null;
        }
        if (type == MqttFrames.PUBLISH) {
            return publishReceived(flags, buf, at, length);
        }
        if (flags != (type == MqttFrames.PUBREL ? 0x02 : 0)) {
            return MqttMessageType.valueOf(type) + " with flags 0x" + Integer.toHexString(flags);
        }
        if (length < 2 || !spec.mqtt5() && length != 2) {
            return MqttMessageType.valueOf(type) + " of " + length + " bytes";
        }
        int packetId = buf.getUnsignedShort(at);
        int reason = 0;
        if (length > 2) {
            reason = buf.getUnsignedByte(at + 2);
            if (length > 3) {
                long properties = MqttFrames.variableByteInteger(buf, at + 3, at + length);
                if (properties < 0 || 3 + MqttFrames.bytes(properties) + MqttFrames.value(properties) != length) {
                    return MqttMessageType.valueOf(type) + " properties do not fit its length";
                }
            }
        }
        if (packetId == 0) {
            return MqttMessageType.valueOf(type) + " with packet id 0";
        }
        switch (type) {
            case 4 -> onPublisherAck(packetId, MqttMessageType.PUBACK, reason);
            case 5 -> onPubRec(packetId, reason);
            case 6 -> onPubRel(packetId);
            default -> onPublisherAck(packetId, MqttMessageType.PUBCOMP, reason);
        }
        return null;
    }

    /** Ends the run's view of this connection: the broker sent what is not MQTT. */
    void malformed(String problem) {
        fail("malformed packet from the broker: " + problem);
    }

    private String publishReceived(int flags, ByteBuf buf, int at, int length) {
        int level = (flags >> 1) & 0x03;
        if (level == 3) {
            return "PUBLISH at QoS 3";
        }
        int end = at + length;
        if (length < 2) {
            return "PUBLISH of " + length + " bytes";
        }
        int topicLength = buf.getUnsignedShort(at);
        int topicAt = at + 2;
        int p = topicAt + topicLength;
        if (p > end) {
            return "PUBLISH topic longer than the packet";
        }
        if (buf.forEachByte(topicAt, topicLength, b -> b != '+' && b != '#') >= 0) {
            return "PUBLISH topic with a wildcard";
        }
        int packetId = 0;
        if (level > 0) {
            if (p + 2 > end) {
                return "PUBLISH without a packet id";
            }
            packetId = buf.getUnsignedShort(p);
            if (packetId == 0) {
                return "PUBLISH with packet id 0";
            }
            p += 2;
        }
        if (spec.mqtt5()) {
            long properties = MqttFrames.variableByteInteger(buf, p, end);
            if (properties < 0 || p + MqttFrames.bytes(properties) + MqttFrames.value(properties) > end) {
                return "PUBLISH properties do not fit its length";
            }
            p += MqttFrames.bytes(properties) + MqttFrames.value(properties);
        }
        onPublish(level, packetId, buf, p, end - p, topicAt, topicLength);
        return null;
    }

    private void onPublish(int level, int packetId, ByteBuf buf, int payloadAt, int payloadLength, int topicAt,
                           int topicLength) {
        if (role != Role.SUBSCRIBER) {
            fail("PUBLISH to a client that subscribed to nothing");
            return;
        }
        if (level > spec.qos()) {
            fail("PUBLISH at QoS " + level + " above the granted " + spec.qos());
            return;
        }
        if (level == 2 && awaitingRelease.get(packetId)) {
            // the broker re-sent a QoS 2 message before our PUBREC reached it: acknowledge, do not count again
            acknowledge(PUBREC, packetId);
            return;
        }
        if (payloadLength < Stamp.SIZE) {
            fail("PUBLISH on " + buf.toString(topicAt, topicLength, StandardCharsets.UTF_8) + " without a stamp ("
                    + payloadLength + " bytes)");
            return;
        }
        long now = System.nanoTime();
        run.record(index, Stamp.publisher(buf, payloadAt), Stamp.sequence(buf, payloadAt),
                Stamp.sendNanos(buf, payloadAt), now, latencies);
        received++;
        if (run.inMeasurement(now)) {
            receivedMeasured++;
        }
        if (level == 1) {
            acknowledge(PUBACK, packetId);
        } else if (level == 2) {
            awaitingRelease.set(packetId);
            acknowledge(PUBREC, packetId);
        }
    }

    private void onPubRel(int packetId) {
        if (role != Role.SUBSCRIBER || !awaitingRelease.get(packetId)) {
            fail("PUBREL for packet id " + packetId + " never received");
            return;
        }
        awaitingRelease.clear(packetId);
        acknowledge(PUBCOMP, packetId);
    }

    private static String reasonOf(MqttMessage m) {
        Object vh = m.variableHeader();
        if (vh instanceof io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader h) {
            return " (reason 0x" + Integer.toHexString(h.reasonCode() & 0xFF) + ")";
        }
        return "";
    }
}
