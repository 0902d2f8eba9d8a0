package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static io.anchormq.platform.testsupport.PahoTestClients.utf8;
import static io.anchormq.platform.testsupport.PahoTestClients.v5Message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import io.anchormq.platform.testsupport.PahoTestClients.V5Msg;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Publish;
import io.anchormq.platform.testsupport.RawMqttClient.Subscription;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** MQTT 5 publish/subscribe features observed through the Paho 5 client (raw socket for wire details). */
@Timeout(30)
class PahoV5ProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration ABSENCE = Duration.ofMillis(600);

    private static BrokerFixture broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerFixture.start("""
                anchormq.mqtt.max-keep-alive = 60
                anchormq.access.deny-publish = ["test/nopublish"]
                """);
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

    private static MqttSubscription sub(String filter, int qos, boolean noLocal, boolean rap, int retainHandling) {
        MqttSubscription s = new MqttSubscription(filter, qos);
        s.setNoLocal(noLocal);
        s.setRetainAsPublished(rap);
        s.setRetainHandling(retainHandling);
        return s;
    }

    private static RawMqttClient rawConnected(String id) throws IOException {
        RawMqttClient raw = RawMqttClient.open(broker.port());
        raw.connect(Connect.v5(id)); // asserts CONNACK 0x00
        return raw;
    }

    private static void subscribeWithId(RawMqttClient raw, int packetId, int subscriptionId, String filter)
            throws IOException {
        raw.send(RawMqttClient.subscribe(RawMqttClient.V5, packetId,
                Props.of().integer(RawMqttClient.SUBSCRIPTION_IDENTIFIER, subscriptionId), new Subscription(filter, 1)));
        Packet ack = raw.expectPacket(RawMqttClient.SUBACK, WAIT);
        assertEquals(packetId, ack.packetId);
        assertEquals(List.of(1), ack.reasonCodes);
    }

    private static List<Integer> subscriptionIds(Packet publish) {
        return publish.properties.getAll(RawMqttClient.SUBSCRIPTION_IDENTIFIER).stream()
                .map(o -> ((Number) o).intValue()).toList();
    }

    private static void puback(RawMqttClient raw, Packet publish) throws IOException {
        raw.send(RawMqttClient.ack(RawMqttClient.PUBACK, RawMqttClient.V5, publish.packetId, 0, Props.NONE));
    }

    // ------------------------------------------------------------------ subscription identifiers, options

    @Test
    void oneMessageCarriesAllMatchingSubscriptionIdentifiers() throws Exception {
        String b = unique("v5-subid");
        try (RawMqttClient raw = rawConnected(unique("v5-raw")); V5 pub = connected(unique("v5-pub"))) {
            subscribeWithId(raw, 1, 7, b + "/+/x");
            subscribeWithId(raw, 2, 300, b + "/a/#");

            pub.publish(b + "/a/x", "both", 1, false);
            Packet p = raw.expectPacket(RawMqttClient.PUBLISH, WAIT);
            assertEquals("both", p.payloadAsString());
            assertEquals(Set.of(7, 300), new HashSet<>(subscriptionIds(p)),
                    "MQTT-3.3.4-3/5: one PUBLISH with both subscription identifiers: " + p);
            assertEquals(2, subscriptionIds(p).size());
            puback(raw, p);
            raw.expectNothing(ABSENCE);

            pub.publish(b + "/z/x", "one", 1, false);
            Packet q = raw.expectPacket(RawMqttClient.PUBLISH, WAIT);
            assertEquals(List.of(7), subscriptionIds(q));
            puback(raw, q);
        }
    }

    @Test
    void noLocalSuppressesOwnMessages() throws Exception {
        String topic = unique("v5/nolocal");
        try (V5 c = connected(unique("v5-nl")); V5 witness = connected(unique("v5-wit"));
                V5 other = connected(unique("v5-other"))) {
            c.subscribe(null, sub(topic, 1, true, false, 0));
            witness.subscribe(topic, 1);
            c.publish(topic, "own", 1, false);
            assertEquals("own", witness.next(WAIT).text()); // it was published
            other.publish(topic, "foreign", 1, false);
            assertEquals("foreign", c.next(WAIT).text(), "No Local subscriber got its own message first");
            assertNothing(c.messages, ABSENCE, "own message despite No Local (MQTT-3.8.3-3)");
        }
    }

    @Test
    void retainAsPublishedKeepsRetainFlagOnLiveDelivery() throws Exception {
        String topic = unique("v5/rap");
        try (V5 keep = connected(unique("v5-rap1")); V5 clear = connected(unique("v5-rap0"));
                V5 pub = connected(unique("v5-pub"))) {
            keep.subscribe(null, sub(topic, 1, false, true, 0));
            clear.subscribe(null, sub(topic, 1, false, false, 0));
            pub.publish(topic, "r", 1, true);
            assertTrue(keep.next(WAIT).message().isRetained(), "Retain As Published = 1 keeps retain flag");
            assertFalse(clear.next(WAIT).message().isRetained(), "Retain As Published = 0 clears retain flag");
            pub.publish(topic, "n", 1, false);
            assertFalse(keep.next(WAIT).message().isRetained(), "non-retained stays non-retained");
            pub.publish(topic, "", 1, true); // clean up
        }
    }

    @Test
    void retainHandling0SendsRetainedOnEverySubscribe() throws Exception {
        String topic = unique("v5/rh0");
        try (V5 c = connected(unique("v5-rh0")); V5 pub = connected(unique("v5-pub"))) {
            pub.publish(topic, "kept", 1, true);
            c.subscribe(null, sub(topic, 1, false, false, 0));
            V5Msg first = c.next(WAIT);
            assertEquals("kept", first.text());
            assertTrue(first.message().isRetained());
            c.subscribe(null, sub(topic, 1, false, false, 0));
            V5Msg again = c.next(WAIT);
            assertEquals("kept", again.text(), "Retain Handling 0: retained sent on re-subscribe too");
            assertTrue(again.message().isRetained());
            assertNothing(c.messages, ABSENCE, "extra retained copy");
        }
    }

    @Test
    void retainHandling1SendsRetainedOnlyForNewSubscription() throws Exception {
        String topic = unique("v5/rh1");
        try (V5 c = connected(unique("v5-rh1")); V5 pub = connected(unique("v5-pub"))) {
            pub.publish(topic, "kept", 1, true);
            c.subscribe(null, sub(topic, 1, false, false, 1));
            V5Msg first = c.next(WAIT);
            assertEquals("kept", first.text());
            assertTrue(first.message().isRetained());
            c.subscribe(null, sub(topic, 1, false, false, 1));
            assertNothing(c.messages, ABSENCE, "retained message on re-subscribe with Retain Handling 1");
        }
    }

    @Test
    void retainHandling2NeverSendsRetained() throws Exception {
        String topic = unique("v5/rh2");
        try (V5 c = connected(unique("v5-rh2")); V5 pub = connected(unique("v5-pub"))) {
            pub.publish(topic, "kept", 1, true);
            c.subscribe(null, sub(topic, 1, false, false, 2));
            assertNothing(c.messages, ABSENCE, "retained message with Retain Handling 2");
            pub.publish(topic, "live", 1, false);
            V5Msg live = c.next(WAIT);
            assertEquals("live", live.text(), "the subscription itself works");
        }
    }

    @Test
    void invalidTopicFilterGetsSuback0x8F() throws Exception {
        try (RawMqttClient raw = rawConnected(unique("v5-inv"))) {
            raw.send(RawMqttClient.subscribe(RawMqttClient.V5, 3, Props.NONE,
                    new Subscription("ok/" + unique("t"), 2),
                    new Subscription("bad/#/x", 1)));
            Packet ack = raw.expectPacket(RawMqttClient.SUBACK, WAIT);
            assertEquals(3, ack.packetId);
            assertEquals(List.of(2, 0x8F), ack.reasonCodes, "0x8F Topic Filter invalid");
        }
    }

    // ------------------------------------------------------------------ shared subscriptions

    @Test
    void sharedSubscriptionDeliversEachMessageToExactlyOneMember() throws Exception {
        String topic = unique("v5/shared");
        String shared = "$share/" + unique("g") + "/" + topic;
        int n = 20;
        try (V5 m1 = connected(unique("v5-m1")); V5 m2 = connected(unique("v5-m2"));
                V5 plain = connected(unique("v5-plain")); V5 pub = connected(unique("v5-pub"))) {
            assertEquals(1, m1.subscribe(shared, 1));
            assertEquals(1, m2.subscribe(shared, 1));
            assertEquals(1, plain.subscribe(topic, 1));
            for (int i = 0; i < n; i++) {
                pub.publish(topic, "m" + i, 1, false);
            }
            List<String> all = plain.next(n, WAIT).stream().map(V5Msg::text).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add("m" + i);
            }
            assertEquals(expected, all, "the non-shared subscriber gets every message in order");

            List<String> got1 = new ArrayList<>();
            List<String> got2 = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (got1.size() + got2.size() < n && System.nanoTime() < deadline) {
                V5Msg a = m1.messages.poll(20, TimeUnit.MILLISECONDS);
                if (a != null) {
                    got1.add(a.text());
                }
                V5Msg b = m2.messages.poll(20, TimeUnit.MILLISECONDS);
                if (b != null) {
                    got2.add(b.text());
                }
            }
            assertNothing(m1.messages, ABSENCE, "extra message to member 1");
            assertNothing(m2.messages, Duration.ofMillis(100), "extra message to member 2");
            List<String> union = new ArrayList<>(got1);
            union.addAll(got2);
            assertEquals(n, union.size(), "each message to exactly one member: m1=" + got1 + " m2=" + got2);
            assertEquals(new HashSet<>(expected), new HashSet<>(union), "m1=" + got1 + " m2=" + got2);
            assertTrue(got1.size() >= n / 5 && got2.size() >= n / 5,
                    "distribution not round-robin-ish: m1=" + got1.size() + " m2=" + got2.size());
        }
    }

    // ------------------------------------------------------------------ message expiry

    @Test
    void expiredMessagesAreNotDeliveredAndRemainingExpiryIsForwarded() throws Exception {
        String id = unique("v5-exp");
        String topic = unique("v5/expiry");
        try (V5 c = client(id); V5 pub = connected(unique("v5-pub"))) {
            c.connect(true, 60L);
            c.subscribe(topic, 1);
            c.disconnect();

            org.eclipse.paho.mqttv5.common.MqttMessage shortLived = v5Message("short", 1, false);
            shortLived.getProperties().setMessageExpiryInterval(1L);
            pub.publish(topic, shortLived);
            org.eclipse.paho.mqttv5.common.MqttMessage longLived = v5Message("long", 1, false);
            longLived.getProperties().setMessageExpiryInterval(60L);
            pub.publish(topic, longLived);

            Thread.sleep(2_100);
            assertTrue(c.connect(false, 60L));
            V5Msg m = c.next(WAIT);
            assertEquals("long", m.text(), "MQTT-3.3.2-5: the expired message must not be delivered");
            Long remaining = m.props().getMessageExpiryInterval();
            assertNotNull(remaining, "MQTT-3.3.2-6: message expiry interval must be forwarded");
            assertTrue(remaining >= 50 && remaining <= 58,
                    "remaining expiry must be reduced by the ~2 s the message waited, got " + remaining);
            assertNothing(c.messages, ABSENCE, "the expired message");
        }
    }

    // ------------------------------------------------------------------ property pass-through, PUBACK 0x10

    @Test
    void requestResponseAndUserPropertiesArePassedThroughInOrder() throws Exception {
        String topic = unique("v5/props");
        try (V5 sub = connected(unique("v5-sub")); V5 pub = connected(unique("v5-pub"))) {
            sub.subscribe(topic, 1);
            org.eclipse.paho.mqttv5.common.MqttMessage m = v5Message("{\"a\":1}", 1, false);
            org.eclipse.paho.mqttv5.common.packet.MqttProperties p = m.getProperties();
            p.setResponseTopic("reply/" + topic);
            p.setCorrelationData(new byte[] {1, 2, 3, 0, (byte) 0xFE});
            p.setUserProperties(List.of(new UserProperty("z", "1"), new UserProperty("a", "2"),
                    new UserProperty("z", "3")));
            p.setPayloadFormat(true);
            p.setContentType("application/json");
            pub.publish(topic, m);

            V5Msg got = sub.next(WAIT);
            org.eclipse.paho.mqttv5.common.packet.MqttProperties q = got.props();
            assertEquals("{\"a\":1}", got.text());
            assertEquals("reply/" + topic, q.getResponseTopic());
            assertArrayEquals(new byte[] {1, 2, 3, 0, (byte) 0xFE}, q.getCorrelationData());
            assertEquals(List.of("z=1", "a=2", "z=3"), PahoV5SessionAndWillTest.userProps(q.getUserProperties()),
                    "MQTT-3.3.2-18: user properties forwarded unaltered, order kept");
            assertTrue(q.getPayloadFormat());
            assertEquals("application/json", q.getContentType());
        }
    }

    @Test
    void pubackReportsNoMatchingSubscribers() throws Exception {
        String topic = unique("v5/nosubs");
        try (RawMqttClient raw = rawConnected(unique("v5-raw"))) {
            raw.send(Publish.v5(topic).qos(1).packetId(11).payload(utf8("x")));
            Packet ack = raw.expectPacket(RawMqttClient.PUBACK, WAIT);
            assertEquals(11, ack.packetId);
            assertEquals(0x10, ack.reasonCode, "PUBACK reason 0x10 No matching subscribers");

            try (V5 sub = connected(unique("v5-sub"))) {
                sub.subscribe(topic, 1);
                raw.send(Publish.v5(topic).qos(1).packetId(12).payload(utf8("y")));
                Packet ack2 = raw.expectPacket(RawMqttClient.PUBACK, WAIT);
                assertEquals(12, ack2.packetId);
                assertEquals(0x00, ack2.reasonCode, "PUBACK reason 0x00 with a subscriber");
                assertEquals("y", sub.next(WAIT).text());
            }
        }
    }

    // ------------------------------------------------------------------ server keep alive

    @Test
    void serverKeepAliveCapsRequestedKeepAlive() throws Exception {
        try (V5 c = client(unique("v5-ska"))) {
            org.eclipse.paho.mqttv5.client.MqttConnectionOptions o = V5.options(true, null);
            o.setKeepAliveInterval(120);
            org.eclipse.paho.mqttv5.client.IMqttToken t = c.connect(o);
            assertEquals(Integer.valueOf(60), t.getResponseProperties().getServerKeepAlive(),
                    "CONNACK Server Keep Alive must be the configured maximum 60");
        }
    }

    @Test
    void serverKeepAliveReplacesZeroKeepAlive() throws Exception {
        try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
            Packet ack = raw.connect(Connect.v5(unique("v5-ska0")).keepAlive(0));
            assertEquals(Long.valueOf(60), ack.properties.getLong(RawMqttClient.SERVER_KEEP_ALIVE),
                    "keep alive 0 with max-keep-alive 60: CONNACK Server Keep Alive 60");
        }
    }

    @Test
    void serverKeepAliveAbsentWhenRequestedKeepAliveIsWithinLimit() throws Exception {
        try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
            Packet ack = raw.connect(Connect.v5(unique("v5-ska30")).keepAlive(30));
            Long ska = ack.properties.getLong(RawMqttClient.SERVER_KEEP_ALIVE);
            assertTrue(ska == null || ska == 30, "keep alive 30 is within the limit, got Server Keep Alive " + ska);
        }
    }

    // ------------------------------------------------------------------ more protocol rules

    @Test
    void retainedMessageExpiresFromTheRetainedStore() throws Exception {
        String topic = unique("v5/ret-exp");
        try (V5 pub = connected(unique("v5-pub"))) {
            org.eclipse.paho.mqttv5.common.MqttMessage m = v5Message("fleeting", 1, true);
            m.getProperties().setMessageExpiryInterval(1L);
            pub.publish(topic, m);
            try (V5 early = connected(unique("v5-early"))) {
                early.subscribe(topic, 1);
                V5Msg got = early.next(WAIT);
                assertEquals("fleeting", got.text(), "retained message present before it expires");
                assertTrue(got.message().isRetained());
            }
            Thread.sleep(2_100);
            try (V5 late = connected(unique("v5-late"))) {
                late.subscribe(topic, 1);
                assertNothing(late.messages, ABSENCE, "an expired retained message (MQTT-3.3.2-5)");
            }
        }
    }

    @Test
    void noLocalOnSharedSubscriptionIsProtocolError() throws Exception {
        try (RawMqttClient raw = rawConnected(unique("v5-nlshare"))) {
            raw.send(RawMqttClient.subscribe(RawMqttClient.V5, 4, Props.NONE,
                    new Subscription("$share/" + unique("g") + "/" + unique("t"),
                            RawMqttClient.options(1, true, false, 0))));
            raw.expectDisconnect(0x82, WAIT); // MQTT-3.8.3-4: Protocol Error
            raw.expectClosed(WAIT);
        }
    }

    @Test
    void deniedPublishGetsReasonCode0x87AndIsNotDelivered() throws Exception {
        try (V5 sub = connected(unique("v5-sub")); RawMqttClient raw = rawConnected(unique("v5-denypub"))) {
            sub.subscribe("test/nopublish", 1);
            raw.send(Publish.v5("test/nopublish").qos(1).packetId(5).payload(utf8("q1")));
            Packet puback = raw.expectPacket(RawMqttClient.PUBACK, WAIT);
            assertEquals(5, puback.packetId);
            assertEquals(0x87, puback.reasonCode, "PUBACK 0x87 Not authorized");
            raw.send(Publish.v5("test/nopublish").qos(2).packetId(6).payload(utf8("q2")));
            Packet pubrec = raw.expectPacket(RawMqttClient.PUBREC, WAIT);
            assertEquals(6, pubrec.packetId);
            assertEquals(0x87, pubrec.reasonCode, "PUBREC 0x87 Not authorized");
            raw.send(Publish.v5("test/nopublish").qos(0).payload(utf8("q0")));
            raw.expectAlive();
            assertNothing(sub.messages, ABSENCE, "a message published to a denied topic");
        }
    }

}
