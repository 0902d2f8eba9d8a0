package io.anchormq.platform.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient.Mqtt3Publishes;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import io.anchormq.platform.testsupport.BrokerFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** MQTT 3.1.1 basics checked with the HiveMQ MQTT client (Mqtt3Client) over real sockets. */
@Timeout(30)
class HiveMqV3Test {

    private static final long ABSENCE_WAIT_MS = 500;

    private static BrokerFixture broker;

    private final List<Mqtt3BlockingClient> clients = new ArrayList<>();
    private String topicPrefix;
    private String idSuffix;

    @BeforeAll
    static void startBroker() {
        broker = BrokerFixture.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void uniqueNames(TestInfo info) {
        idSuffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        topicPrefix = "hv3/" + info.getTestMethod().map(m -> m.getName()).orElse("t") + "/" + idSuffix;
    }

    @AfterEach
    void disconnectAll() {
        for (Mqtt3BlockingClient c : clients) {
            if (c.getState().isConnected()) {
                try {
                    c.disconnect();
                } catch (RuntimeException ignored) {
                    // best effort
                }
            }
        }
    }

    private String id(String role) {
        return role + idSuffix;
    }

    private String topic(String leaf) {
        return topicPrefix + "/" + leaf;
    }

    private Mqtt3BlockingClient newClient(String clientId) {
        Mqtt3BlockingClient c = Mqtt3Client.builder()
                .identifier(clientId)
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        clients.add(c);
        return c;
    }

    private Mqtt3BlockingClient connected(String clientId) {
        Mqtt3BlockingClient c = newClient(clientId);
        c.connectWith().cleanSession(true).send();
        return c;
    }

    private static void subscribe(Mqtt3BlockingClient c, String filter, MqttQos qos) {
        Mqtt3SubAckReturnCode code = c.subscribeWith().topicFilter(filter).qos(qos).send().getReturnCodes().get(0);
        assertEquals(qos.getCode(), code.getCode(), "SUBACK for " + filter);
    }

    private static void publish(Mqtt3BlockingClient c, String topic, String payload, MqttQos qos, boolean retain) {
        c.publishWith().topic(topic).payload(payload.getBytes(UTF_8)).qos(qos).retain(retain).send();
    }

    private static Mqtt3Publish receive(Mqtt3Publishes publishes) throws InterruptedException {
        return publishes.receive(5, SECONDS).orElseThrow(() -> new AssertionError("no message within 5 s"));
    }

    private static void assertNothingReceived(Mqtt3Publishes publishes) throws InterruptedException {
        Optional<Mqtt3Publish> p = publishes.receive(ABSENCE_WAIT_MS, MILLISECONDS);
        assertTrue(p.isEmpty(), () -> "expected no message but got '" + text(p.get()) + "' on " + p.get().getTopic());
    }

    private static String text(Mqtt3Publish p) {
        return new String(p.getPayloadAsBytes(), UTF_8);
    }

    @ParameterizedTest(name = "QoS {0}")
    @EnumSource(MqttQos.class)
    void publishAndSubscribeAtSameQosDeliversOnceAtThatQos(MqttQos qos) throws Exception {
        Mqtt3BlockingClient sub = connected(id("sub"));
        Mqtt3Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("x"), qos);
        Mqtt3BlockingClient pub = connected(id("pub"));

        publish(pub, topic("x"), "v3-" + qos.getCode(), qos, false);

        Mqtt3Publish p = receive(received);
        assertEquals(topic("x"), p.getTopic().toString());
        assertEquals("v3-" + qos.getCode(), text(p));
        assertEquals(qos, p.getQos());
        assertFalse(p.isRetain());
        assertNothingReceived(received);
    }

    @Test
    void qos2MessagesArriveExactlyOnceInOrder() throws Exception {
        Mqtt3BlockingClient sub = connected(id("sub"));
        Mqtt3Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("q2"), MqttQos.EXACTLY_ONCE);
        Mqtt3BlockingClient pub = connected(id("pub"));

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            publish(pub, topic("q2"), "m" + i, MqttQos.EXACTLY_ONCE, false);
            expected.add("m" + i);
        }

        List<String> got = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            got.add(text(receive(received)));
        }
        assertEquals(expected, got);
        assertNothingReceived(received);
    }

    @Test
    void deliveryQosIsDowngradedToGrantedSubscriptionQos() throws Exception {
        Mqtt3BlockingClient sub = connected(id("sub"));
        Mqtt3Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("d"), MqttQos.AT_LEAST_ONCE);
        Mqtt3BlockingClient pub = connected(id("pub"));

        publish(pub, topic("d"), "q2", MqttQos.EXACTLY_ONCE, false);

        assertEquals(MqttQos.AT_LEAST_ONCE, receive(received).getQos());
    }

    @Test
    void retainedMessageIsDeliveredToNewSubscriberWithRetainFlag() throws Exception {
        Mqtt3BlockingClient pub = connected(id("pub"));
        publish(pub, topic("r"), "kept", MqttQos.AT_LEAST_ONCE, true);

        Mqtt3BlockingClient sub = connected(id("sub"));
        Mqtt3Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("r"), MqttQos.AT_LEAST_ONCE);

        Mqtt3Publish p = receive(received);
        assertEquals("kept", text(p));
        assertTrue(p.isRetain());
    }

    @Test
    void retainedMessageIsReplacedAndDeletedByEmptyPayload() throws Exception {
        Mqtt3BlockingClient pub = connected(id("pub"));
        publish(pub, topic("r"), "v1", MqttQos.AT_LEAST_ONCE, true);
        publish(pub, topic("r"), "v2", MqttQos.AT_LEAST_ONCE, true);
        Mqtt3BlockingClient sub1 = connected(id("s1"));
        Mqtt3Publishes r1 = sub1.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub1, topic("r"), MqttQos.AT_LEAST_ONCE);
        assertEquals("v2", text(receive(r1)), "newer retained message must replace the older one");
        assertNothingReceived(r1);

        publish(pub, topic("r"), "", MqttQos.AT_LEAST_ONCE, true);
        Mqtt3BlockingClient sub2 = connected(id("s2"));
        Mqtt3Publishes r2 = sub2.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub2, topic("r"), MqttQos.AT_LEAST_ONCE);
        assertNothingReceived(r2);
    }

    @Test
    void liveDeliveryOfRetainedPublishHasRetainFlagCleared() throws Exception {
        Mqtt3BlockingClient sub = connected(id("sub"));
        Mqtt3Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("r"), MqttQos.AT_LEAST_ONCE);
        Mqtt3BlockingClient pub = connected(id("pub"));

        publish(pub, topic("r"), "live", MqttQos.AT_LEAST_ONCE, true);

        Mqtt3Publish p = receive(received);
        assertEquals("live", text(p));
        assertFalse(p.isRetain(), "3.1.1 [MQTT-3.3.1-9]: RETAIN=0 when forwarded to an existing subscription");
    }

    @Test
    void persistentSessionQueuesQos1And2WhileOfflineButNotQos0() throws Exception {
        Mqtt3BlockingClient sub = newClient(id("sub"));
        sub.connectWith().cleanSession(true).send(); // start from a fresh session
        sub.disconnect();
        sub.connectWith().cleanSession(false).send();
        subscribe(sub, topic("p"), MqttQos.EXACTLY_ONCE);
        sub.disconnect();

        Mqtt3BlockingClient pub = connected(id("pub"));
        publish(pub, topic("p"), "q0", MqttQos.AT_MOST_ONCE, false);
        publish(pub, topic("p"), "q1", MqttQos.AT_LEAST_ONCE, false);
        publish(pub, topic("p"), "q2", MqttQos.EXACTLY_ONCE, false);

        Mqtt3BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt3Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt3ConnAck connAck = again.connectWith().cleanSession(false).send();
        assertTrue(connAck.isSessionPresent(), "CONNACK session present");

        Mqtt3Publish a = receive(received);
        Mqtt3Publish b = receive(received);
        assertEquals(List.of("q1", "q2"), List.of(text(a), text(b)));
        assertEquals(List.of(MqttQos.AT_LEAST_ONCE, MqttQos.EXACTLY_ONCE), List.of(a.getQos(), b.getQos()));
        assertNothingReceived(received);
    }

    @Test
    void cleanSessionDiscardsPreviousPersistentSession() throws Exception {
        Mqtt3BlockingClient sub = newClient(id("sub"));
        sub.connectWith().cleanSession(false).send();
        subscribe(sub, topic("p"), MqttQos.AT_LEAST_ONCE);
        sub.disconnect();
        Mqtt3BlockingClient pub = connected(id("pub"));
        publish(pub, topic("p"), "queued", MqttQos.AT_LEAST_ONCE, false);

        Mqtt3BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt3Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt3ConnAck connAck = again.connectWith().cleanSession(true).send();
        assertFalse(connAck.isSessionPresent());
        publish(pub, topic("p"), "after", MqttQos.AT_LEAST_ONCE, false);
        assertNothingReceived(received);
    }
}
