package io.anchormq.broker.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.EventLoopDispatcher;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;

/**
 * A broker's session layer without its network side: the real directory, session actors (on an event loop, as in
 * the broker), router, retained store and fence, with {@link TestConnection}s in place of Netty connections. One per test (the directory's actors are
 * named per actor system).
 */
final class SessionHarness implements AutoCloseable {

    final ActorTestKit kit = ActorTestKit.create();
    /** Where the sessions run, as in the broker: an MQTT event loop (no sockets on it here). */
    private final EventLoopGroup eventLoop = new NioEventLoopGroup(1);
    final BrokerSettings settings;
    final TopicRouter router = new TopicRouter();
    final InMemoryRetainedStore retained = new InMemoryRetainedStore();
    final BrokerMetrics metrics = new BrokerMetrics();
    final SubscriptionFence fence = new SubscriptionFence();
    final TestIntegrityLog integrity = new TestIntegrityLog();
    final Sessions sessions;
    /** Connected and Disconnected events, as presence sees them. */
    final TestProbe<BrokerEvent> events = kit.createTestProbe(BrokerEvent.class);

    /** @param settings overrides of the {@code anchormq} defaults, as HOCON */
    SessionHarness(String settings) {
        this.settings = BrokerSettings.from(ConfigFactory.parseString(settings)
                .withFallback(ConfigFactory.defaultReference()).resolve());
        BrokerEvents brokerEvents = new BrokerEvents();
        brokerEvents.subscribeToLifecycle(events.ref());
        this.sessions = new Sessions(kit.system(), this.settings, router, retained, brokerEvents,
                AccessPolicy.ALLOW_ALL, metrics, new InMemorySessionStore(), integrity, fence,
                EventLoopDispatcher.register(kit.system(), eventLoop));
    }

    SessionHarness() {
        this("");
    }

    /** Connects a client as an accepted CONNECT would and returns its connection once the session took it. */
    TestConnection connect(String clientId, boolean mqtt5, boolean cleanStart,
                           Consumer<MqttMessageBuilders.ConnectBuilder> options) throws InterruptedException {
        MqttMessageBuilders.ConnectBuilder b = MqttMessageBuilders.connect().clientId(clientId)
                .protocolVersion(mqtt5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1).cleanSession(cleanStart)
                .keepAlive(60);
        options.accept(b);
        MqttConnectMessage connect = b.build();
        TestConnection c = new TestConnection(mqtt5);
        sessions.connect(new ConnectRequest(c, connect, clientId, false, false, 60, false));
        c.session();
        return c;
    }

    /** Connects and checks the CONNACK: accepted, with the session present flag expected. */
    TestConnection connected(String clientId, boolean mqtt5, boolean cleanStart, boolean sessionPresent)
            throws InterruptedException {
        TestConnection c = connect(clientId, mqtt5, cleanStart, b -> { });
        MqttConnAckMessage ack = (MqttConnAckMessage) c.next(MqttMessageType.CONNACK);
        assertEquals(0, ack.variableHeader().connectReturnCode().byteValue());
        assertEquals(sessionPresent, ack.variableHeader().isSessionPresent(), "session present");
        return c;
    }

    /** Connects a new session and subscribes it (packet id 1) to {@code filter}. */
    TestConnection subscriber(String clientId, boolean mqtt5, boolean cleanStart, String filter, int qos)
            throws InterruptedException {
        TestConnection c = connected(clientId, mqtt5, cleanStart, false);
        subscribe(c, 1, filter, qos);
        return c;
    }

    /**
     * Connects with a QoS 1 will "gone" on {@code topic}; with a will delay (5.0), the session outlives the connection
     * by 60 s.
     */
    TestConnection connectedWithWill(String clientId, boolean mqtt5, boolean cleanStart, String topic,
                                     int delaySeconds) throws InterruptedException {
        TestConnection c = connect(clientId, mqtt5, cleanStart, b -> {
            b.willFlag(true).willTopic(topic).willQoS(MqttQoS.AT_LEAST_ONCE)
                    .willMessage("gone".getBytes(StandardCharsets.UTF_8));
            if (delaySeconds > 0) {
                MqttProperties will = new MqttProperties();
                will.add(new MqttProperties.IntegerProperty(MqttPropertyType.WILL_DELAY_INTERVAL.value(), delaySeconds));
                b.willProperties(will);
                MqttProperties connect = new MqttProperties();
                connect.add(new MqttProperties.IntegerProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), 60));
                b.properties(connect);
            }
        });
        c.next(MqttMessageType.CONNACK);
        return c;
    }

    void publish(TestConnection c, String topic, int qos, int packetId, String payload) {
        publish(c, topic, qos, packetId, false, payload, MqttProperties.NO_PROPERTIES);
    }

    void publish(TestConnection c, String topic, int qos, int packetId, boolean dup, String payload,
                 MqttProperties props) {
        c.receive(new InboundPacket.Publish(topic, qos, dup, false, packetId, props,
                payload.getBytes(StandardCharsets.UTF_8), fence.position()));
    }

    /** Subscribes and checks the SUBACK grants {@code qos}. */
    void subscribe(TestConnection c, int packetId, String filter, int qos) throws InterruptedException {
        MqttSubscribeMessage sub = MqttMessageBuilders.subscribe().messageId(packetId)
                .addSubscription(MqttQoS.valueOf(qos), filter).build();
        c.receive(new InboundPacket.Subscribe(sub, fence.subscribeArrived()));
        MqttSubAckMessage ack = (MqttSubAckMessage) c.next(MqttMessageType.SUBACK);
        assertEquals(List.of(qos), ack.payload().reasonCodes());
    }

    static void ack(TestConnection c, MqttMessageType type, int packetId) {
        c.receive(new InboundPacket.Ack(type, packetId, 0));
    }

    /** The next packet must be an acknowledgement of this type for this packet id; returns its reason code. */
    static int expectAck(TestConnection c, MqttMessageType type, int packetId) throws InterruptedException {
        MqttMessage m = c.next(type);
        assertEquals(packetId, MqttPacket.packetId(m), type + " packet id");
        return MqttPacket.reasonCode(m);
    }

    /** The next packet must be a PUBLISH of this topic and payload (null: any); returns it. */
    static MqttPublishMessage expectPublish(TestConnection c, String topic, String payload)
            throws InterruptedException {
        MqttPublishMessage p = (MqttPublishMessage) c.next(MqttMessageType.PUBLISH);
        assertEquals(topic, p.variableHeader().topicName());
        if (payload != null) {
            assertEquals(payload, p.content().toString(StandardCharsets.UTF_8));
        }
        return p;
    }

    /** Waits up to 5 s for a lifecycle event of this client. */
    <E extends BrokerEvent> E awaitEvent(Class<E> type, String clientId) {
        BrokerEvent e = events.fishForMessage(Duration.ofSeconds(5), ev -> type.isInstance(ev) && ev.clientId().equals(clientId)
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
        return type.cast(e);
    }

    @Override
    public void close() {
        kit.shutdownTestKit();
        eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
