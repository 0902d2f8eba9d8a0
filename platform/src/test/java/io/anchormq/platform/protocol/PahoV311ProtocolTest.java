package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static io.anchormq.platform.testsupport.PahoTestClients.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V3Msg;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Subscription;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** MQTT 3.1.1 behaviour observed through the Paho 3.1.1 client (and a raw socket where Paho cannot go). */
@Timeout(30)
class PahoV311ProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration ABSENCE = Duration.ofMillis(600);

    private static BrokerFixture broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerFixture.start("anchormq.access.deny-subscribe = [\"test/nosubscribe\"]");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static V3 client(String id) throws Exception {
        return new V3(broker.tcpUri(), id);
    }

    private static V3 connected(String id) throws Exception {
        V3 c = client(id);
        c.connect(true);
        return c;
    }

    // ------------------------------------------------------------------ connect / client id / session present

    @Test
    void connectThenDisconnect() throws Exception {
        try (V3 c = client(unique("v3-conn"))) {
            boolean sessionPresent = c.connect(true);
            assertTrue(c.client.isConnected());
            assertFalse(sessionPresent, "clean session connect must report session present = 0");
            c.disconnect();
            assertFalse(c.client.isConnected());
            assertTrue(c.connectionLost.isEmpty(), "a normal DISCONNECT must not look like a lost connection");
            // the id is free again: the same client can connect once more
            c.connect(true);
            assertTrue(c.client.isConnected());
        }
    }

    @Test
    void emptyClientIdWithCleanSessionFalseIsRejectedWithIdentifierRejected() throws Exception {
        try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
            raw.send(Connect.v311("").cleanSession(false));
            Packet connack = raw.expectPacket(RawMqttClient.CONNACK, WAIT);
            assertEquals(0x02, connack.reasonCode, "MQTT-3.1.3-8: CONNACK 0x02 expected");
            assertFalse(connack.sessionPresent, "MQTT-3.2.2-4: session present 0 on error");
            raw.expectClosed(WAIT); // MQTT-3.2.2-5: server closes the connection after a refused CONNACK
        }
    }

    @Test
    void emptyClientIdWithCleanSessionTrueIsAccepted() throws Exception {
        try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
            Packet connack = raw.connect(Connect.v311("").cleanSession(true)); // asserts return code 0x00
            assertFalse(connack.sessionPresent);
        }
        try (V3 c = client("")) {
            c.connect(true);
            assertTrue(c.client.isConnected(), "Paho client with empty id and clean session accepted");
        }
    }

    @Test
    void sessionPresentFlagReflectsStoredSession() throws Exception {
        String id = unique("v3-sp");
        try (V3 c = client(id)) {
            assertFalse(c.connect(false), "first persistent connect: no session yet");
            c.disconnect();
            assertTrue(c.connect(false), "second persistent connect: session present");
            c.disconnect();
            assertFalse(c.connect(true), "clean session connect: session present 0 (MQTT-3.2.2-1)");
            c.disconnect();
            assertFalse(c.connect(false), "clean session discarded the old session");
        }
    }

    // ------------------------------------------------------------------ publish / subscribe

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1, 2})
    void publishSubscribeRoundTripAtQos(int qos) throws Exception {
        String topic = unique("v3/rt") + "/q" + qos;
        try (V3 sub = connected(unique("v3-sub")); V3 pub = connected(unique("v3-pub"))) {
            assertEquals(2, sub.subscribe(topic, 2));
            byte[] payload = {0, 1, 2, (byte) 0xFF, 'x'};
            pub.publish(topic, payload, qos, false);
            V3Msg m = sub.next(WAIT);
            assertEquals(topic, m.topic());
            assertArrayEquals(payload, m.payload());
            assertEquals(qos, m.qos());
            assertFalse(m.retained());
            assertFalse(m.dup());
            assertNothing(sub.messages, ABSENCE, "second copy");
        }
    }

    @Test
    void deliveredQosIsDowngradedToGrantedQos() throws Exception {
        String base = unique("v3/down");
        try (V3 sub0 = connected(unique("v3-s0")); V3 sub1 = connected(unique("v3-s1"));
                V3 pub = connected(unique("v3-pub"))) {
            assertEquals(0, sub0.subscribe(base, 0));
            assertEquals(1, sub1.subscribe(base, 1));
            pub.publish(base, "two", 2, false);
            assertEquals(0, sub0.next(WAIT).qos(), "granted QoS 0 subscriber gets QoS 0");
            assertEquals(1, sub1.next(WAIT).qos(), "granted QoS 1 subscriber gets QoS 1");
            pub.publish(base, "one", 1, false);
            assertEquals(0, sub0.next(WAIT).qos());
            assertEquals(1, sub1.next(WAIT).qos());
        }
    }

    @Test
    void singleLevelWildcardMatchesExactlyOneLevel() throws Exception {
        String b = unique("v3-plus");
        try (V3 sub = connected(unique("v3-sub")); V3 pub = connected(unique("v3-pub"))) {
            sub.subscribe(b + "/+/c", 1);
            for (String t : List.of(b + "/x/c", b + "/c", b + "/x/y/c", b + "/x/c/d", b + "//c", b + "/y/c")) {
                pub.publish(t, t, 1, false);
            }
            Set<String> got = new HashSet<>();
            got.add(sub.next(WAIT).topic());
            got.add(sub.next(WAIT).topic());
            got.add(sub.next(WAIT).topic());
            assertEquals(Set.of(b + "/x/c", b + "//c", b + "/y/c"), got);
            assertNothing(sub.messages, ABSENCE, "message on a non-matching topic");
        }
    }

    @Test
    void multiLevelWildcardMatchesParentAndAllDescendants() throws Exception {
        String b = unique("v3-hash");
        try (V3 sub = connected(unique("v3-sub")); V3 pub = connected(unique("v3-pub"))) {
            sub.subscribe(b + "/a/#", 1);
            for (String t : List.of(b + "/a", b + "/a/b", b + "/a/b/c", b + "/b", b + "/ab", "x/" + b + "/a")) {
                pub.publish(t, t, 1, false);
            }
            Set<String> got = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                got.add(sub.next(WAIT).topic());
            }
            assertEquals(Set.of(b + "/a", b + "/a/b", b + "/a/b/c"), got);
            assertNothing(sub.messages, ABSENCE, "message on a non-matching topic");
        }
    }

    @Test
    void dollarTopicsAreNotMatchedByLeadingWildcards() throws Exception {
        String u = unique("v3dollar");
        String dollarTopic = "$paho/" + u + "/t";
        try (V3 wild = connected(unique("v3-wild")); V3 control = connected(unique("v3-ctl"));
                V3 pub = connected(unique("v3-pub"))) {
            wild.subscribe(new String[] {"#", "+/" + u + "/t", "+/+/+"}, new int[] {1, 1, 1});
            control.subscribe("$paho/" + u + "/#", 1);
            wild.messages.clear(); // retained messages of other tests delivered on "#"
            pub.publish(dollarTopic, "dollar", 1, false);
            V3Msg m = control.next(WAIT); // proves the $-message was routed
            assertEquals(dollarTopic, m.topic());
            long deadline = System.nanoTime() + ABSENCE.toNanos();
            while (System.nanoTime() < deadline) {
                V3Msg w = wild.messages.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (w != null) {
                    assertFalse(w.topic().startsWith("$"),
                            "MQTT-4.7.2-1: filter starting with a wildcard matched " + w.topic());
                }
            }
        }
    }

    @Test
    void invalidTopicFilterGetsSubackFailure() throws Exception {
        try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
            raw.connect(Connect.v311(unique("v3-inv")));
            raw.send(RawMqttClient.subscribe(RawMqttClient.V3_1_1, 7, Props.NONE,
                    new Subscription("ok/" + unique("t"), 1),
                    new Subscription("bad/#/x", 1),
                    new Subscription("bad/a+", 0)));
            Packet suback = raw.expectPacket(RawMqttClient.SUBACK, WAIT);
            assertEquals(7, suback.packetId);
            assertEquals(List.of(1, 0x80, 0x80), suback.reasonCodes);
        }
    }

    @Test
    void deniedTopicFilterGetsSubackFailure() throws Exception {
        String allowed = unique("v3/allowed");
        try (V3 sub = connected(unique("v3-deny")); V3 pub = connected(unique("v3-pub"))) {
            int[] granted = sub.subscribe(new String[] {"test/nosubscribe", allowed}, new int[] {1, 1});
            assertArrayEquals(new int[] {0x80, 1}, granted);
            pub.publish("test/nosubscribe", "secret", 1, false);
            pub.publish(allowed, "fine", 1, false);
            assertEquals(allowed, sub.next(WAIT).topic());
            assertNothing(sub.messages, ABSENCE, "message on the denied filter");
        }
    }

    // ------------------------------------------------------------------ retained

    @Test
    void retainedMessageIsStoredAndDeliveredToNewSubscribers() throws Exception {
        String topic = unique("v3/ret-store");
        try (V3 pub = connected(unique("v3-pub"))) {
            pub.publish(topic, "kept", 1, true);
        }
        try (V3 sub = connected(unique("v3-sub"))) {
            sub.subscribe(topic, 1);
            V3Msg m = sub.next(WAIT);
            assertEquals("kept", m.text());
            assertTrue(m.retained(), "MQTT-3.3.1-8: retain flag set on delivery of a retained message");
            assertEquals(1, m.qos());
            assertNothing(sub.messages, ABSENCE, "second retained copy");
        }
    }

    @Test
    void retainFlagIsClearedOnLiveDeliveryToExistingSubscribers() throws Exception {
        String topic = unique("v3/ret-live");
        try (V3 sub = connected(unique("v3-sub")); V3 pub = connected(unique("v3-pub"))) {
            sub.subscribe(topic, 1);
            pub.publish(topic, "live", 1, true);
            V3Msg m = sub.next(WAIT);
            assertEquals("live", m.text());
            assertFalse(m.retained(), "MQTT-3.3.1-9: retain 0 when sent because of an established subscription");
            pub.publish(topic, "", 0, true); // clean up
        }
    }

    @Test
    void retainedMessageIsReplacedByNewerOne() throws Exception {
        String topic = unique("v3/ret-replace");
        try (V3 pub = connected(unique("v3-pub"))) {
            pub.publish(topic, "old", 1, true);
            pub.publish(topic, "new", 1, true);
        }
        try (V3 sub = connected(unique("v3-sub"))) {
            sub.subscribe(topic, 1);
            V3Msg m = sub.next(WAIT);
            assertEquals("new", m.text());
            assertTrue(m.retained());
            assertNothing(sub.messages, ABSENCE, "the replaced retained message");
        }
    }

    @Test
    void retainedMessageIsDeletedByEmptyPayload() throws Exception {
        String topic = unique("v3/ret-del");
        try (V3 pub = connected(unique("v3-pub"))) {
            pub.publish(topic, "doomed", 1, true);
            try (V3 check = connected(unique("v3-chk"))) { // it really was stored
                check.subscribe(topic, 1);
                assertEquals("doomed", check.next(WAIT).text());
            }
            pub.publish(topic, new byte[0], 1, true);
        }
        try (V3 sub = connected(unique("v3-sub"))) {
            sub.subscribe(topic, 1);
            assertNothing(sub.messages, ABSENCE, "a retained message after deletion (MQTT-3.3.1-10)");
        }
    }

    // ------------------------------------------------------------------ will

    private static Connect connectWithWill(String id, int keepAlive, String willTopic, String willPayload) {
        return Connect.v311(id).keepAlive(keepAlive).will(willTopic, utf8(willPayload), 1, false);
    }

    @Test
    void willIsPublishedWhenTheConnectionIsClosedWithoutDisconnect() throws Exception {
        String willTopic = unique("v3/will");
        try (V3 sub = connected(unique("v3-sub"))) {
            sub.subscribe(willTopic, 1);
            RawMqttClient raw = RawMqttClient.open(broker.port());
            raw.connect(connectWithWill(unique("v3-willc"), 0, willTopic, "gone"));
            raw.close(); // no DISCONNECT
            V3Msg m = sub.next(WAIT);
            assertEquals(willTopic, m.topic());
            assertEquals("gone", m.text());
            assertEquals(1, m.qos());
            assertFalse(m.retained());
        }
    }

    @Test
    void willIsNotPublishedAfterNormalDisconnect() throws Exception {
        String willTopic = unique("v3/nowill");
        try (V3 sub = connected(unique("v3-sub"))) {
            sub.subscribe(willTopic, 1);
            try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
                raw.connect(connectWithWill(unique("v3-nowillc"), 0, willTopic, "should not appear"));
                raw.send(RawMqttClient.disconnect(RawMqttClient.V3_1_1, 0, Props.NONE));
                raw.expectClosed(WAIT); // MQTT-3.14.4-1: server closes the connection after DISCONNECT
            }
            assertNothing(sub.messages, Duration.ofMillis(1000), "will after DISCONNECT (MQTT-3.14.4-3)");
        }
    }

    @Test
    void keepAliveExpiryClosesConnectionAfterOneAndAHalfIntervalsAndPublishesWill() throws Exception {
        String willTopic = unique("v3/ka-will");
        try (V3 sub = connected(unique("v3-sub"))) {
            sub.subscribe(willTopic, 1);
            try (RawMqttClient raw = RawMqttClient.open(broker.port())) {
                raw.connect(connectWithWill(unique("v3-ka"), 1, willTopic, "timed out"));
                long start = System.nanoTime();
                raw.expectClosed(Duration.ofSeconds(5)); // silent client with keep alive 1 s must be closed
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(ms >= 1_000 && ms <= 3_000,
                        "MQTT-3.1.2-24: closed after " + ms + " ms, expected about 1500 ms");
            }
            V3Msg m = sub.next(WAIT);
            assertEquals("timed out", m.text());
        }
    }

    // ------------------------------------------------------------------ sessions

    @Test
    void persistentSessionQueuesQos1And2ButNotQos0WhileOffline() throws Exception {
        String id = unique("v3-offline");
        String topic = unique("v3/offline");
        try (V3 sub = client(id); V3 pub = connected(unique("v3-pub"))) {
            assertFalse(sub.connect(false));
            assertEquals(2, sub.subscribe(topic, 2));
            sub.disconnect();

            pub.publish(topic, "q0", 0, false);
            pub.publish(topic, "q1", 1, false);
            pub.publish(topic, "q2", 2, false);

            assertTrue(sub.connect(false), "session present expected on reconnect");
            V3Msg a = sub.next(WAIT);
            V3Msg b = sub.next(WAIT);
            assertEquals("q1", a.text());
            assertEquals(1, a.qos());
            assertEquals("q2", b.text());
            assertEquals(2, b.qos());
            assertNothing(sub.messages, ABSENCE, "queued QoS 0 message");
            // the subscription survived too: live messages still arrive
            pub.publish(topic, "live", 1, false);
            assertEquals("live", sub.next(WAIT).text());
        }
    }

    @Test
    void secondConnectionWithSameClientIdTakesOverTheFirst() throws Exception {
        String id = unique("v3-take");
        String topic = unique("v3/take");
        try (V3 first = connected(id); V3 second = client(id); V3 pub = connected(unique("v3-pub"))) {
            second.connect(true);
            PahoTestClients.take(first.connectionLost, WAIT, "first client to lose its connection");
            assertFalse(first.client.isConnected());
            assertTrue(second.client.isConnected());
            second.subscribe(topic, 1);
            pub.publish(topic, "to-second", 1, false);
            assertEquals("to-second", second.next(WAIT).text());
        }
    }

    @Test
    void overlappingSubscriptionsDeliverOneMessageAtHighestGrantedQos() throws Exception {
        String b = unique("v3-overlap");
        try (V3 sub = connected(unique("v3-sub")); V3 pub = connected(unique("v3-pub"))) {
            assertArrayEquals(new int[] {0, 2, 1},
                    sub.subscribe(new String[] {b + "/+", b + "/#", b + "/x"}, new int[] {0, 2, 1}));
            pub.publish(b + "/x", "once", 2, false);
            V3Msg m = sub.next(WAIT);
            assertEquals("once", m.text());
            assertEquals(2, m.qos(), "highest granted QoS of the matching subscriptions");
            assertNothing(sub.messages, ABSENCE, "duplicate delivery for overlapping subscriptions");
        }
    }

    @Test
    void unsubscribeStopsDelivery() throws Exception {
        String topic = unique("v3/unsub");
        try (V3 sub = connected(unique("v3-sub")); V3 witness = connected(unique("v3-wit"));
                V3 pub = connected(unique("v3-pub"))) {
            sub.subscribe(topic, 1);
            witness.subscribe(topic, 1);
            pub.publish(topic, "before", 1, false);
            assertEquals("before", sub.next(WAIT).text());
            assertEquals("before", witness.next(WAIT).text());
            sub.unsubscribe(topic);
            pub.publish(topic, "after", 1, false);
            assertEquals("after", witness.next(WAIT).text());
            assertNothing(sub.messages, ABSENCE, "message after UNSUBSCRIBE");
        }
    }
}
