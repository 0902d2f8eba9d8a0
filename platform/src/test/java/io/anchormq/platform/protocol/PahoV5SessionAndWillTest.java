package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static io.anchormq.platform.testsupport.PahoTestClients.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import io.anchormq.platform.testsupport.PahoTestClients.V5Msg;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
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
        try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
            Packet ack = raw.connect(Connect.v5("")); // asserts reason code 0x00
            first = ack.properties.getString(RawMqttClient.ASSIGNED_CLIENT_IDENTIFIER);
            assertNotNull(first, "MQTT-3.2.2-16: CONNACK must carry Assigned Client Identifier");
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
    void disconnectSettingSessionExpiryAfterConnectWithZeroIsProtocolError() throws Exception {
        String id = unique("v5-dsei-err");
        try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
            raw.connect(Connect.v5(id)); // no Session Expiry Interval = 0
            raw.send(RawMqttClient.disconnect(RawMqttClient.V5, 0x00,
                    Props.of().integer(RawMqttClient.SESSION_EXPIRY_INTERVAL, 60)));
            raw.expectClosedAfterOptionalDisconnect(WAIT, 0x82); // MQTT-3.14.2-2
        }
        try (RawMqttClient again = RawMqttClient.open(broker.port())) {
            Packet ack = again.connect(Connect.v5(id).cleanSession(false));
            assertFalse(ack.sessionPresent, "the session must not have been made persistent by the DISCONNECT");
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

    @Test
    void takeoverSendsDisconnect0x8EOnTheWireBeforeClosing() throws Exception {
        String id = unique("v5-take-raw");
        try (RawMqttClient first = RawMqttClient.open(broker.port());
                RawMqttClient second = RawMqttClient.open(broker.port())) {
            first.connect(Connect.v5(id));
            second.connect(Connect.v5(id));
            first.expectDisconnect(0x8E, WAIT); // Session taken over
            first.expectClosed(WAIT);
            second.expectAlive();
        }
    }

    // ------------------------------------------------------------------ wills

    private static Connect connectWithWill(String id, long sessionExpiry, Integer willDelay,
            String willTopic, String payload, Props extraWillProps) {
        Props willProps = extraWillProps == null ? Props.of() : extraWillProps;
        if (willDelay != null) {
            willProps.integer(RawMqttClient.WILL_DELAY_INTERVAL, willDelay);
        }
        return Connect.v5(id)
                .properties(Props.of().integer(RawMqttClient.SESSION_EXPIRY_INTERVAL, sessionExpiry))
                .will(willTopic, utf8(payload), 1, false)
                .willProperties(willProps);
    }

    @Test
    void willIsPublishedOnlyAfterWillDelayInterval() throws Exception {
        String willTopic = unique("v5/will-delay");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            RawMqttClient raw = RawMqttClient.open(broker.port());
            raw.connect(connectWithWill(unique("v5-wd"), 10, 2, willTopic, "late", null));
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
            RawMqttClient raw = RawMqttClient.open(broker.port());
            raw.connect(connectWithWill(id, 30, 2, willTopic, "cancelled", null));
            raw.close();
            Thread.sleep(300);
            try (RawMqttClient again = RawMqttClient.open(broker.port())) {
                Packet ack = again.connect(Connect.v5(id).cleanSession(false)
                        .properties(Props.of().integer(RawMqttClient.SESSION_EXPIRY_INTERVAL, 30)));
                assertTrue(ack.sessionPresent);
                assertNothing(sub.messages, Duration.ofMillis(2_700),
                        "will although the client reconnected within the will delay (MQTT-3.1.3-9)");
                again.disconnectAndClose();
            }
        }
    }

    @Test
    void willDelayIsCappedBySessionExpiry() throws Exception {
        String willTopic = unique("v5/will-cap");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            RawMqttClient raw = RawMqttClient.open(broker.port());
            raw.connect(connectWithWill(unique("v5-wcap"), 1, 30, willTopic, "session ended", null));
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
            Props wp = Props.of()
                    .integer(RawMqttClient.PAYLOAD_FORMAT_INDICATOR, 1)
                    .string(RawMqttClient.CONTENT_TYPE, "text/plain")
                    .string(RawMqttClient.RESPONSE_TOPIC, "reply/" + willTopic)
                    .binary(RawMqttClient.CORRELATION_DATA, new byte[] {9, 8, 7})
                    .userProperty("k1", "v1")
                    .userProperty("k2", "v2")
                    .userProperty("k1", "v3");
            RawMqttClient raw = RawMqttClient.open(broker.port());
            raw.connect(connectWithWill(unique("v5-wp"), 0, null, willTopic, "bye", wp));
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

    @Test
    void willIsPublishedAfterDisconnectWithReason0x04() throws Exception {
        String willTopic = unique("v5/will-0x04");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
                raw.connect(connectWithWill(unique("v5-w04"), 0, null, willTopic, "asked for", null));
                raw.send(RawMqttClient.disconnect(RawMqttClient.V5, 0x04, Props.NONE));
                raw.expectClosed(WAIT);
            }
            assertEquals("asked for", sub.next(WAIT).text(), "DISCONNECT 0x04 Disconnect with Will Message");
        }
    }

    @Test
    void willIsNotPublishedAfterNormalDisconnect() throws Exception {
        String willTopic = unique("v5/will-0x00");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
                raw.connect(connectWithWill(unique("v5-w00"), 0, null, willTopic, "no", null));
                raw.send(RawMqttClient.disconnect(RawMqttClient.V5, 0x00, Props.NONE));
                raw.expectClosed(WAIT);
            }
            assertNothing(sub.messages, Duration.ofMillis(1_000), "will after DISCONNECT 0x00 (MQTT-3.1.2-10)");
        }
    }

    @Test
    void keepAliveExpirySendsDisconnect0x8DThenClosesAndPublishesWill() throws Exception {
        String willTopic = unique("v5/will-ka");
        try (V5 sub = connected(unique("v5-sub"))) {
            sub.subscribe(willTopic, 1);
            try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
                Connect connect = Connect.v5(unique("v5-ka")).keepAlive(1)
                        .will(willTopic, utf8("ka expired"), 1, false);
                long start = System.nanoTime();
                raw.connect(connect);
                raw.expectDisconnect(0x8D, WAIT); // Keep Alive timeout
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(ms >= 1_000 && ms <= 3_000, "keep alive 1 s enforced after " + ms + " ms, expected ~1500");
                raw.expectClosed(WAIT);
            }
            assertEquals("ka expired", sub.next(WAIT).text());
        }
    }

    static List<String> userProps(List<UserProperty> list) {
        return list == null ? List.of() : list.stream().map(u -> u.getKey() + "=" + u.getValue()).toList();
    }
}
