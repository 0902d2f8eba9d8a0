package io.anchormq.platform;

import static io.anchormq.platform.PahoTestClients.assertNothing;
import static io.anchormq.platform.PahoTestClients.unique;
import static io.anchormq.platform.PahoTestClients.utf8;
import static io.anchormq.platform.RawSocketMqtt.intProp;
import static io.anchormq.platform.RawSocketMqtt.props;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.PahoTestClients.V5;
import io.anchormq.platform.PahoTestClients.V5Msg;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttQoS;
import java.time.Duration;
import java.util.List;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** MQTT 5 sessions (client id assignment, clean start, session expiry, takeover) and wills. */
@Timeout(30)
class PahoV5SessionAndWillTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration ABSENCE = Duration.ofMillis(600);

    private static BrokerFixture broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerFixture.start("");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static V5 client(String id) throws Exception {
        return new V5(broker.tcpUri(), id);
    }

    private static V5 connected(String id) throws Exception {
        V5 c = client(id);
        c.connect(true, null);
        return c;
    }

    // ------------------------------------------------------------------ client id, clean start, session expiry

    @Test
    void emptyClientIdGetsAssignedClientIdentifier() throws Exception {
        String first;
        try (RawSocketMqtt raw = RawSocketMqtt.open(broker.port())) {
            MqttConnAckMessage ack = raw.connect(RawSocketMqtt.connectV5("", true, MqttProperties.NO_PROPERTIES).build());
            assertEquals(0, RawSocketMqtt.connackCode(ack));
            MqttProperties.MqttProperty<?> p = ack.variableHeader().properties()
                    .getProperty(MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value());
            assertNotNull(p, "MQTT-3.2.2-16: CONNACK must carry Assigned Client Identifier");
            first = (String) p.value();
            assertFalse(first.isEmpty());
        }
        try (V5 c = client("")) {
            org.eclipse.paho.mqttv5.client.IMqttToken t = c.connect(V5.options(true, null));
            String second = t.getResponseProperties().getAssignedClientIdentifier();
            assertNotNull(second);
            assertFalse(second.isEmpty());
            assertNotEquals(first, second, "assigned identifiers must be unique");
        }
    }

    @Test
    void sessionExpiryZeroEndsSessionAtDisconnect() throws Exception {
        String id = unique("v5-sei0");
        String topic = unique("v5/sei0");
        try (V5 c = client(id); V5 pub = connected(unique("v5-pub"))) {
            assertFalse(c.connect(true, 0L));
            c.subscribe(topic, 1);
            c.disconnect();
            pub.publish(topic, "offline", 1, false);
            assertFalse(c.connect(false, 0L), "session with expiry 0 must not survive the disconnect");
            assertNothing(c.messages, ABSENCE, "message for the discarded session");
            pub.publish(topic, "online", 1, false);
            assertNothing(c.messages, ABSENCE, "message for the discarded subscription");
        }
    }

    @Test
    void sessionExpiryKeepsSessionUntilTheIntervalElapses() throws Exception {
        String id = unique("v5-sei2");
        String topic = unique("v5/sei2");
        try (V5 c = client(id); V5 pub = connected(unique("v5-pub"))) {
            assertFalse(c.connect(true, 2L));
            c.subscribe(topic, 1);
            c.disconnect();
            pub.publish(topic, "queued", 1, false);
            assertTrue(c.connect(false, 2L), "session must be present within its expiry interval");
            V5Msg m = c.next(WAIT);
            assertEquals("queued", m.text());
            c.disconnect();
            Thread.sleep(3_200); // session expiry interval 2 s has elapsed
            assertFalse(c.connect(false, 2L), "session must be gone after its expiry interval");
            pub.publish(topic, "after-expiry", 1, false);
            assertNothing(c.messages, ABSENCE, "message for the expired subscription");
        }
    }

    @Test
    void disconnectCanShortenSessionExpiryToZero() throws Exception {
        String id = unique("v5-dsei0");
        try (V5 c = client(id)) {
            c.connect(true, 60L);
            c.subscribe(unique("v5/dsei"), 1);
            org.eclipse.paho.mqttv5.common.packet.MqttProperties dp =
                    new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
            dp.setSessionExpiryInterval(0L);
            c.client.disconnect(5_000, null, null, 0, dp).waitForCompletion(PahoTestClients.OP_TIMEOUT_MS);
            assertFalse(c.connect(false, 60L), "DISCONNECT set session expiry 0: session must have ended");
        }
    }

    @Test
    void disconnectCanExtendSessionExpiry() throws Exception {
        String id = unique("v5-dsei60");
        try (V5 c = client(id)) {
            c.connect(true, 1L);
            c.subscribe(unique("v5/dsei"), 1);
            org.eclipse.paho.mqttv5.common.packet.MqttProperties dp =
                    new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
            dp.setSessionExpiryInterval(60L);
            c.client.disconnect(5_000, null, null, 0, dp).waitForCompletion(PahoTestClients.OP_TIMEOUT_MS);
            Thread.sleep(1_800); // longer than the CONNECT's 1 s
            assertTrue(c.connect(false, 60L), "DISCONNECT extended session expiry to 60 s: session must exist");
        }
    }

    @Test
    void cleanStartDiscardsExistingSession() throws Exception {
        String id = unique("v5-clean");
        String topic = unique("v5/clean");
        try (V5 c = client(id); V5 pub = connected(unique("v5-pub"))) {
            c.connect(true, 60L);
            c.subscribe(topic, 1);
            c.disconnect();
            pub.publish(topic, "queued", 1, false);
            assertFalse(c.connect(true, 60L), "clean start: session present must be 0 (MQTT-3.2.2-2)");
            assertNothing(c.messages, ABSENCE, "message of the discarded session");
            pub.publish(topic, "live", 1, false);
            assertNothing(c.messages, ABSENCE, "message for the discarded subscription");
        }
    }

    @Test
    void takeoverSendsDisconnectSessionTakenOverToTheOldConnection() throws Exception {
        String id = unique("v5-take");
        try (V5 first = connected(id); V5 second = client(id)) {
            second.connect(true, null);
            MqttDisconnectResponse r = PahoTestClients.take(first.disconnects, WAIT, "DISCONNECT to the old client");
            assertEquals(0x8E, r.getReturnCode(), "expected DISCONNECT 0x8E Session taken over, got " + r);
            assertTrue(second.client.isConnected());
        }
    }

    // ------------------------------------------------------------------ wills

    private static MqttConnectMessage connectWithWill(String id, long sessionExpiry, Integer willDelay,
            String willTopic, String payload, MqttProperties extraWillProps) {
        MqttProperties willProps = extraWillProps == null ? new MqttProperties() : extraWillProps;
        if (willDelay != null) {
            willProps.add(intProp(MqttPropertyType.WILL_DELAY_INTERVAL, willDelay));
        }
        return RawSocketMqtt.connectV5(id, true,
                        props(intProp(MqttPropertyType.SESSION_EXPIRY_INTERVAL, (int) sessionExpiry)))
                .willFlag(true)
                .willTopic(willTopic)
                .willMessage(utf8(payload))
                .willQoS(MqttQoS.AT_LEAST_ONCE)
                .willRetain(false)
                .willProperties(willProps)
                .build();
    }

    @Test
    void willIsPublishedOnlyAfterWillDelayInterval() throws Exception {
        String willTopic = unique("v5/will-delay");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            RawSocketMqtt raw = RawSocketMqtt.open(broker.port());
            assertEquals(0, RawSocketMqtt.connackCode(
                    raw.connect(connectWithWill(unique("v5-wd"), 10, 2, willTopic, "late", null))));
            raw.close();
            long closedAt = System.nanoTime();
            assertNothing(sub.messages, Duration.ofMillis(1_500), "will before its 2 s delay");
            V5Msg m = sub.next(WAIT);
            long ms = (System.nanoTime() - closedAt) / 1_000_000;
            assertEquals("late", m.text());
            assertTrue(ms >= 1_800, "will published after " + ms + " ms, delay is 2000 ms");
        }
    }

    @Test
    void willIsNotPublishedWhenClientReconnectsWithinWillDelay() throws Exception {
        String id = unique("v5-wdc");
        String willTopic = unique("v5/will-cancel");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            RawSocketMqtt raw = RawSocketMqtt.open(broker.port());
            assertEquals(0, RawSocketMqtt.connackCode(
                    raw.connect(connectWithWill(id, 30, 2, willTopic, "cancelled", null))));
            raw.close();
            Thread.sleep(300);
            try (RawSocketMqtt again = RawSocketMqtt.open(broker.port())) {
                MqttConnAckMessage ack = again.connect(RawSocketMqtt.connectV5(id, false,
                        props(intProp(MqttPropertyType.SESSION_EXPIRY_INTERVAL, 30))).build());
                assertEquals(0, RawSocketMqtt.connackCode(ack));
                assertTrue(ack.variableHeader().isSessionPresent());
                assertNothing(sub.messages, Duration.ofMillis(2_700),
                        "will although the client reconnected within the will delay (MQTT-3.1.3-9)");
                again.disconnect();
            }
        }
    }

    @Test
    void willDelayIsCappedBySessionExpiry() throws Exception {
        String willTopic = unique("v5/will-cap");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            RawSocketMqtt raw = RawSocketMqtt.open(broker.port());
            assertEquals(0, RawSocketMqtt.connackCode(
                    raw.connect(connectWithWill(unique("v5-wcap"), 1, 30, willTopic, "session ended", null))));
            raw.close();
            long closedAt = System.nanoTime();
            V5Msg m = sub.next(Duration.ofSeconds(4));
            long ms = (System.nanoTime() - closedAt) / 1_000_000;
            assertEquals("session ended", m.text());
            assertTrue(ms >= 700, "will published after " + ms + " ms; session expiry is 1 s");
        }
    }

    @Test
    void willPropertiesAndUserPropertiesArePassedOn() throws Exception {
        String willTopic = unique("v5/will-props");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            MqttProperties wp = new MqttProperties();
            wp.add(intProp(MqttPropertyType.PAYLOAD_FORMAT_INDICATOR, 1));
            wp.add(new MqttProperties.StringProperty(MqttPropertyType.CONTENT_TYPE.value(), "text/plain"));
            wp.add(new MqttProperties.StringProperty(MqttPropertyType.RESPONSE_TOPIC.value(), "reply/" + willTopic));
            wp.add(new MqttProperties.BinaryProperty(MqttPropertyType.CORRELATION_DATA.value(), new byte[] {9, 8, 7}));
            wp.add(new MqttProperties.UserProperty("k1", "v1"));
            wp.add(new MqttProperties.UserProperty("k2", "v2"));
            wp.add(new MqttProperties.UserProperty("k1", "v3"));
            RawSocketMqtt raw = RawSocketMqtt.open(broker.port());
            assertEquals(0, RawSocketMqtt.connackCode(
                    raw.connect(connectWithWill(unique("v5-wp"), 0, null, willTopic, "bye", wp))));
            raw.close();
            V5Msg m = sub.next(WAIT);
            assertEquals("bye", m.text());
            org.eclipse.paho.mqttv5.common.packet.MqttProperties p = m.props();
            assertTrue(p.getPayloadFormat(), "payload format indicator");
            assertEquals("text/plain", p.getContentType());
            assertEquals("reply/" + willTopic, p.getResponseTopic());
            assertArrayEquals(new byte[] {9, 8, 7}, p.getCorrelationData());
            assertEquals(List.of("k1=v1", "k2=v2", "k1=v3"), userProps(p.getUserProperties()));
        }
    }

    static List<String> userProps(List<UserProperty> list) {
        return list == null ? List.of() : list.stream().map(u -> u.getKey() + "=" + u.getValue()).toList();
    }
}
