package io.anchormq.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal MQTT client over a plain {@link Socket} for wire-level checks that Paho hides (packet ids, DUP flag,
 * no acknowledgements, hand-made wills, topic alias properties, abrupt socket close).
 *
 * <p>Packets are encoded/decoded with Netty's MQTT codec inside an {@link EmbeddedChannel}; the encoder records the
 * protocol version of the CONNECT it encodes on the channel, so the decoder of the same channel decodes MQTT 5
 * properties afterwards.
 */
final class RawSocketMqtt implements AutoCloseable {

    private final Socket socket;
    private final OutputStream out;
    private final EmbeddedChannel codec = new EmbeddedChannel(new MqttDecoder(1 << 20), MqttEncoder.INSTANCE);
    private final BlockingQueue<MqttMessage> inbound = new LinkedBlockingQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile long closedAtNanos;

    private RawSocketMqtt(int port) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        out = socket.getOutputStream();
        Thread reader = new Thread(this::readLoop, "raw-mqtt-reader-" + port);
        reader.setDaemon(true);
        reader.start();
    }

    static RawSocketMqtt open(int port) throws IOException {
        return new RawSocketMqtt(port);
    }

    // ---------------------------------------------------------------- I/O

    private void readLoop() {
        byte[] buf = new byte[8192];
        try {
            InputStream in = socket.getInputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (codec) {
                    codec.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
                    Object msg;
                    while ((msg = codec.readInbound()) != null) {
                        inbound.add((MqttMessage) msg);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // connection reset / closed: treated like EOF
        } finally {
            closedAtNanos = System.nanoTime();
            closed.countDown();
        }
    }

    /** Encodes and writes one packet. */
    void send(MqttMessage message) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        synchronized (codec) {
            codec.writeOutbound(message);
            Object o;
            while ((o = codec.readOutbound()) != null) {
                ByteBuf b = (ByteBuf) o;
                try {
                    bytes.write(ByteBufUtil.getBytes(b));
                } finally {
                    b.release();
                }
            }
        }
        sendBytes(bytes.toByteArray());
    }

    void sendBytes(byte[] bytes) throws IOException {
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }

    /** Next packet from the server, or null if none arrives within the timeout. */
    MqttMessage poll(Duration timeout) throws InterruptedException {
        return inbound.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Next packet, which must arrive within the timeout and be of the given type. */
    @SuppressWarnings("unchecked")
    <T extends MqttMessage> T expect(MqttMessageType type, Duration timeout) throws InterruptedException {
        MqttMessage m = poll(timeout);
        assertNotNull(m, "expected " + type + " within " + timeout.toMillis() + " ms but nothing arrived"
                + (isClosed() ? " (connection closed by server)" : ""));
        if (m.decoderResult().isFailure()) {
            fail("undecodable packet from server: " + m.decoderResult().cause());
        }
        assertEquals(type, m.fixedHeader().messageType(), "unexpected packet " + m);
        return (T) m;
    }

    /** Asserts that no packet at all arrives within the window. */
    void expectNothing(Duration window) throws InterruptedException {
        MqttMessage m = poll(window);
        if (m != null) {
            fail("expected no packet within " + window.toMillis() + " ms but got " + m);
        }
    }

    /** True once the server closed the connection (EOF or reset). */
    boolean awaitClosed(Duration timeout) throws InterruptedException {
        return closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isClosed() {
        return closed.getCount() == 0;
    }

    long closedAtNanos() {
        return closedAtNanos;
    }

    /** Drops the TCP connection without sending DISCONNECT. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        synchronized (codec) {
            codec.finishAndReleaseAll();
        }
    }

    // ---------------------------------------------------------------- packet helpers

    /** Sends CONNECT and returns the CONNACK (which must arrive within 5 s). */
    MqttConnAckMessage connect(MqttConnectMessage connect) throws IOException, InterruptedException {
        send(connect);
        return expect(MqttMessageType.CONNACK, Duration.ofSeconds(5));
    }

    static MqttMessageBuilders.ConnectBuilder connectV311(String clientId, boolean cleanSession) {
        return MqttMessageBuilders.connect()
                .protocolVersion(MqttVersion.MQTT_3_1_1)
                .clientId(clientId)
                .cleanSession(cleanSession)
                .keepAlive(0);
    }

    static MqttMessageBuilders.ConnectBuilder connectV5(String clientId, boolean cleanStart, MqttProperties props) {
        return MqttMessageBuilders.connect()
                .protocolVersion(MqttVersion.MQTT_5)
                .clientId(clientId)
                .cleanSession(cleanStart)
                .keepAlive(0)
                .properties(props);
    }

    MqttSubAckMessage subscribe(int packetId, MqttProperties props, String filter, MqttSubscriptionOption option)
            throws IOException, InterruptedException {
        send(MqttMessageBuilders.subscribe()
                .messageId(packetId)
                .properties(props)
                .addSubscription(filter, option)
                .build());
        MqttSubAckMessage ack = expect(MqttMessageType.SUBACK, Duration.ofSeconds(5));
        assertEquals(packetId, ack.variableHeader().messageId(), "SUBACK packet id");
        return ack;
    }

    MqttSubAckMessage subscribe(int packetId, String filter, MqttQoS qos) throws IOException, InterruptedException {
        return subscribe(packetId, MqttProperties.NO_PROPERTIES, filter, MqttSubscriptionOption.onlyFromQos(qos));
    }

    void publish(String topic, MqttQoS qos, boolean retain, int packetId, byte[] payload, MqttProperties props)
            throws IOException {
        send(MqttMessageBuilders.publish()
                .topicName(topic)
                .qos(qos)
                .retained(retain)
                .messageId(packetId)
                .payload(Unpooled.wrappedBuffer(payload))
                .properties(props)
                .build());
    }

    void puback(int packetId) throws IOException {
        send(MqttMessageBuilders.pubAck().packetId(packetId).build());
    }

    void pubrec(int packetId) throws IOException {
        send(idOnly(MqttMessageType.PUBREC, MqttQoS.AT_MOST_ONCE, packetId));
    }

    void pubrel(int packetId) throws IOException {
        send(idOnly(MqttMessageType.PUBREL, MqttQoS.AT_LEAST_ONCE, packetId));
    }

    void pubcomp(int packetId) throws IOException {
        send(idOnly(MqttMessageType.PUBCOMP, MqttQoS.AT_MOST_ONCE, packetId));
    }

    void disconnect() throws IOException {
        send(MqttMessageBuilders.disconnect().build());
    }

    void disconnectV5(byte reasonCode, MqttProperties props) throws IOException {
        send(MqttMessageBuilders.disconnect().reasonCode(reasonCode).properties(props).build());
    }

    private static MqttMessage idOnly(MqttMessageType type, MqttQoS qos, int packetId) {
        return MqttMessageFactory.newMessage(new MqttFixedHeader(type, false, qos, false, 0),
                MqttMessageIdVariableHeader.from(packetId), null);
    }

    // ---------------------------------------------------------------- decoding helpers

    static byte[] payload(MqttPublishMessage publish) {
        return ByteBufUtil.getBytes(publish.payload());
    }

    static int connackCode(MqttConnAckMessage connack) {
        return connack.variableHeader().connectReturnCode().byteValue() & 0xFF;
    }

    /** Reason code of an MQTT 5 DISCONNECT (0 when the packet had no variable header). */
    static int disconnectReason(MqttMessage disconnect) {
        Object vh = disconnect.variableHeader();
        if (vh instanceof MqttReasonCodeAndPropertiesVariableHeader) {
            return ((MqttReasonCodeAndPropertiesVariableHeader) vh).reasonCode() & 0xFF;
        }
        return 0;
    }

    /** Integer property value or null. */
    static Integer intProperty(MqttProperties props, MqttProperties.MqttPropertyType type) {
        MqttProperties.MqttProperty<?> p = props.getProperty(type.value());
        return p == null ? null : (Integer) p.value();
    }

    static List<Integer> subscriptionIds(MqttPublishMessage publish) {
        List<Integer> ids = new ArrayList<>();
        for (MqttProperties.MqttProperty<?> p : publish.variableHeader().properties()
                .getProperties(MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value())) {
            ids.add((Integer) p.value());
        }
        return ids;
    }

    static MqttProperties props(MqttProperties.MqttProperty<?>... properties) {
        MqttProperties p = new MqttProperties();
        for (MqttProperties.MqttProperty<?> property : properties) {
            p.add(property);
        }
        return p;
    }

    static MqttProperties.IntegerProperty intProp(MqttProperties.MqttPropertyType type, int value) {
        return new MqttProperties.IntegerProperty(type.value(), value);
    }
}
