package io.anchormq.bench.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
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

    private final LoadRun run;
    private final LoadSpec spec;
    private final Role role;
    private final String clientId;
    /** Publisher: its index in the stamps. Subscriber: the sink it records into. */
    private final int index;
    /** Publisher: the topic. Subscriber: the filter. */
    private final String topic;
    private final MqttQoS qos;

    final CompletableFuture<BenchClient> ready = new CompletableFuture<>();
    private Channel channel;
    private long connectStartNanos;
    private volatile boolean closingByUs;
    private ScheduledFuture<?> pinger;

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
        this.run = run;
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
    }

    Role role() {
        return role;
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
        ctx.writeAndFlush(MqttMessageBuilders.connect()
                .clientId(clientId)
                .protocolVersion(spec.mqtt5() ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1)
                .cleanSession(true)
                .keepAlive(spec.keepAliveSeconds())
                .build());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimers();
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
        ctx.flush();
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
            switch (type) {
                case CONNACK -> onConnAck((MqttConnAckMessage) m);
                case SUBACK -> onSubAck((MqttSubAckMessage) m);
                case PUBLISH -> onPublish((MqttPublishMessage) m);
                case PUBACK -> onPublisherAck(packetId(m), MqttMessageType.PUBACK, m);
                case PUBREC -> onPubRec(packetId(m), m);
                case PUBCOMP -> onPublisherAck(packetId(m), MqttMessageType.PUBCOMP, m);
                case PUBREL -> onPubRel(packetId(m));
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
            pinger = channel.eventLoop().scheduleAtFixedRate(() -> channel.writeAndFlush(
                    new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0))),
                    period, period, TimeUnit.SECONDS);
        }
        if (role == Role.SUBSCRIBER) {
            channel.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1).addSubscription(qos, topic).build());
        } else {
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
        run.connectTime(System.nanoTime() - connectStartNanos);
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
        channel.flush();
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
        }
        channel.flush();
    }

    private boolean canSend(long now) {
        return now - stopNanos < 0 && channel.isWritable() && (qos == MqttQoS.AT_MOST_ONCE || inflight < window);
    }

    private void publishOne(long now) {
        int packetId = 0;
        if (qos != MqttQoS.AT_MOST_ONCE) {
            packetId = allocatePacketId();
            awaitingAck.set(packetId);
            slotOwner[packetId & (slotOwner.length - 1)] = packetId;
            sentAt[packetId & (sentAt.length - 1)] = System.nanoTime();
            released.clear(packetId);
            inflight++;
            inflightNow = inflight;
        }
        ByteBuf payload = channel.alloc().buffer(spec.payloadSize());
        Stamp.write(payload, System.nanoTime(), index, sequence++, spec.payloadSize());
        channel.write(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, false, qos, false, 0),
                new MqttPublishVariableHeader(topic, packetId), payload), channel.voidPromise());
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

    private void onPubRec(int packetId, MqttMessage m) {
        if (qos != MqttQoS.EXACTLY_ONCE || !awaitingAck.get(packetId)) {
            fail("PUBREC for packet id " + packetId + " not in flight at QoS 2");
            return;
        }
        if (failedReason(m)) {
            return;
        }
        released.set(packetId);
        channel.write(new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(packetId)), channel.voidPromise());
    }

    private void onPublisherAck(int packetId, MqttMessageType type, MqttMessage m) {
        boolean expected = type == MqttMessageType.PUBACK
                ? qos == MqttQoS.AT_LEAST_ONCE && awaitingAck.get(packetId)
                : qos == MqttQoS.EXACTLY_ONCE && awaitingAck.get(packetId) && released.get(packetId);
        if (!expected) {
            fail(type + " for packet id " + packetId + " not awaiting it");
            return;
        }
        if (failedReason(m)) {
            return;
        }
        awaitingAck.clear(packetId);
        int slot = packetId & (slotOwner.length - 1);
        slotOwner[slot] = 0;
        run.acknowledgement(sentAt[slot], System.nanoTime());
        inflight--;
        inflightNow = inflight;
        acknowledged++;
        if (publishing && spec.ratePerPublisher() == 0) {
            // flushed with the rest of this read in channelReadComplete
            fill();
        }
    }

    /** MQTT 5 acknowledgements carry a reason code; 0x80 and above mean the broker did not take the message. */
    private boolean failedReason(MqttMessage m) {
        if (m.variableHeader() instanceof MqttPubReplyMessageVariableHeader h && (h.reasonCode() & 0xFF) >= 0x80) {
            fail(m.fixedHeader().messageType() + " reason 0x" + Integer.toHexString(h.reasonCode() & 0xFF));
            return true;
        }
        return false;
    }

    // ---- receiving ----------------------------------------------------------------------------------------

    private void onPublish(MqttPublishMessage p) {
        if (role != Role.SUBSCRIBER) {
            fail("PUBLISH to a client that subscribed to nothing");
            return;
        }
        int level = p.fixedHeader().qosLevel().value();
        int packetId = p.variableHeader().packetId();
        if (level > spec.qos()) {
            fail("PUBLISH at QoS " + level + " above the granted " + spec.qos());
            return;
        }
        if (level == 2 && awaitingRelease.get(packetId)) {
            // the broker re-sent a QoS 2 message before our PUBREC reached it: acknowledge, do not count again
            channel.write(pubReply(MqttMessageType.PUBREC, packetId), channel.voidPromise());
            return;
        }
        ByteBuf payload = p.content();
        if (payload.readableBytes() < Stamp.SIZE) {
            fail("PUBLISH on " + p.variableHeader().topicName() + " without a stamp (" + payload.readableBytes() + " bytes)");
            return;
        }
        long now = System.nanoTime();
        run.record(index, Stamp.publisher(payload), Stamp.sequence(payload), Stamp.sendNanos(payload), now);
        received++;
        if (run.inMeasurement(now)) {
            receivedMeasured++;
        }
        if (level == 1) {
            channel.write(pubReply(MqttMessageType.PUBACK, packetId), channel.voidPromise());
        } else if (level == 2) {
            awaitingRelease.set(packetId);
            channel.write(pubReply(MqttMessageType.PUBREC, packetId), channel.voidPromise());
        }
    }

    private void onPubRel(int packetId) {
        if (role != Role.SUBSCRIBER || !awaitingRelease.get(packetId)) {
            fail("PUBREL for packet id " + packetId + " never received");
            return;
        }
        awaitingRelease.clear(packetId);
        channel.write(pubReply(MqttMessageType.PUBCOMP, packetId), channel.voidPromise());
    }

    private static MqttMessage pubReply(MqttMessageType type, int packetId) {
        return new MqttMessage(new MqttFixedHeader(type, false,
                type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(packetId));
    }

    private static int packetId(MqttMessage m) {
        Object vh = m.variableHeader();
        if (vh instanceof MqttPubReplyMessageVariableHeader h) {
            return h.messageId();
        }
        return ((MqttMessageIdVariableHeader) vh).messageId();
    }

    private static String reasonOf(MqttMessage m) {
        Object vh = m.variableHeader();
        if (vh instanceof io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader h) {
            return " (reason 0x" + Integer.toHexString(h.reasonCode() & 0xFF) + ")";
        }
        return "";
    }
}
