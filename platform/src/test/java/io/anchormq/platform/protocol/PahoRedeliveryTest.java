package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static io.anchormq.platform.testsupport.PahoTestClients.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Publish;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unacknowledged outbound QoS 1/2 messages of a persistent session are re-sent with DUP=1 and the same packet ids
 * after reconnect (MQTT 3.1.1 4.4, MQTT 5 4.4), and QoS 2 then completes exactly once.
 */
@Timeout(30)
class PahoRedeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration ABSENCE = Duration.ofMillis(700);

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

    /** CONNECT for a persistent session: 3.1.1 clean session 0 (unless clean), 5.0 session expiry 300 s. */
    private static Connect connect(boolean v5, String id, boolean clean) {
        return v5
                ? Connect.v5(id).cleanSession(clean)
                        .properties(Props.of().integer(RawMqttClient.SESSION_EXPIRY_INTERVAL, 300))
                : Connect.v311(id).cleanSession(clean);
    }

    private static void publishOneAndTwo(String topic, boolean v5) throws Exception {
        if (v5) {
            try (V5 pub = new V5(broker.tcpUri(), unique("rd-pub5"))) {
                pub.connect(true, null);
                pub.publish(topic, "one", 1, false);
                pub.publish(topic, "two", 2, false);
            }
        } else {
            try (V3 pub = new V3(broker.tcpUri(), unique("rd-pub3"))) {
                pub.connect(true);
                pub.publish(topic, "one", 1, false);
                pub.publish(topic, "two", 2, false);
            }
        }
    }

    private static void ack(RawMqttClient raw, int type, int packetId) throws IOException {
        raw.send(RawMqttClient.ack(type, raw.protocolVersion(), packetId, 0, Props.NONE));
    }

    private static void disconnect(RawMqttClient raw) throws IOException {
        raw.send(RawMqttClient.disconnect(raw.protocolVersion(), 0x00, Props.NONE));
        raw.expectClosed(WAIT);
    }

    private void unacknowledgedMessagesAreResentWithDupAndSamePacketIds(boolean v5) throws Exception {
        String id = unique(v5 ? "rd5" : "rd3");
        String topic = unique("rd/topic");
        int id1;
        int id2;
        try (RawMqttClient fresh = RawMqttClient.open(broker.port())) { // start from an empty session
            fresh.connect(connect(v5, id, true));
            disconnect(fresh);
        }
        try (RawMqttClient sub = RawMqttClient.open(broker.port())) {
            sub.connect(connect(v5, id, false));
            sub.subscribe(1, topic, 2, 2);
            publishOneAndTwo(topic, v5);

            Packet p1 = sub.expectPacket(RawMqttClient.PUBLISH, WAIT);
            Packet p2 = sub.expectPacket(RawMqttClient.PUBLISH, WAIT);
            assertEquals("one", p1.payloadAsString());
            assertEquals(1, p1.qos());
            assertFalse(p1.dup());
            assertEquals("two", p2.payloadAsString());
            assertEquals(2, p2.qos());
            assertFalse(p2.dup());
            id1 = p1.packetId;
            id2 = p2.packetId;
            assertNotEquals(id1, id2);
            disconnect(sub); // no PUBACK, no PUBREC: just go away
        }

        try (RawMqttClient again = RawMqttClient.open(broker.port())) {
            Packet connack = again.connect(connect(v5, id, false));
            assertTrue(connack.sessionPresent);

            Packet r1 = again.expectPacket(RawMqttClient.PUBLISH, WAIT);
            Packet r2 = again.expectPacket(RawMqttClient.PUBLISH, WAIT);
            assertEquals("one", r1.payloadAsString());
            assertTrue(r1.dup(), "MQTT-4.4.0-1: re-sent PUBLISH must have DUP=1: " + r1);
            assertEquals(id1, r1.packetId, "re-sent with the original packet id");
            assertEquals(1, r1.qos());
            assertEquals("two", r2.payloadAsString());
            assertTrue(r2.dup(), "MQTT-4.4.0-1: re-sent PUBLISH must have DUP=1: " + r2);
            assertEquals(id2, r2.packetId, "re-sent with the original packet id");
            assertEquals(2, r2.qos());

            ack(again, RawMqttClient.PUBACK, id1);
            ack(again, RawMqttClient.PUBREC, id2);
            Packet rel = again.expectPacket(RawMqttClient.PUBREL, WAIT);
            assertEquals(id2, rel.packetId);
            ack(again, RawMqttClient.PUBCOMP, id2);
            again.expectNothing(ABSENCE); // nothing delivered a third time
            disconnect(again);
        }

        try (RawMqttClient third = RawMqttClient.open(broker.port())) {
            assertTrue(third.connect(connect(v5, id, false)).sessionPresent);
            third.expectNothing(ABSENCE); // completed flows are not re-sent
        }
    }

    @Test
    void v311UnacknowledgedQos1And2AreResentWithDupAndSamePacketIdsThenCompleteOnce() throws Exception {
        unacknowledgedMessagesAreResentWithDupAndSamePacketIds(false);
    }

    @Test
    void v5UnacknowledgedQos1And2AreResentWithDupAndSamePacketIdsThenCompleteOnce() throws Exception {
        unacknowledgedMessagesAreResentWithDupAndSamePacketIds(true);
    }

    @Test
    void inboundQos2PublishRepeatedWithDupBeforePubrelIsDeliveredOnce() throws Exception {
        String topic = unique("rd/in-qos2");
        try (V3 sub = new V3(broker.tcpUri(), unique("rd-sub"));
                RawMqttClient pub = RawMqttClient.open(broker.port())) {
            sub.connect(true);
            sub.subscribe(topic, 2);
            pub.connect(Connect.v311(unique("rd-inpub")));
            for (boolean dup : new boolean[] {false, true}) {
                pub.send(Publish.v311(topic).qos(2).dup(dup).packetId(42).payload(utf8("once")));
                assertEquals(42, pub.expectPacket(RawMqttClient.PUBREC, WAIT).packetId);
            }
            pub.send(RawMqttClient.ack(RawMqttClient.PUBREL, RawMqttClient.V3_1_1, 42, 0, Props.NONE));
            assertEquals(42, pub.expectPacket(RawMqttClient.PUBCOMP, WAIT).packetId);
            assertEquals("once", sub.next(WAIT).text());
            PahoTestClients.assertNothing(sub.messages, ABSENCE, "second delivery of a QoS 2 message");
        }
    }

    @Test
    void pubrelIsResentAfterReconnectWhenPubcompWasMissing() throws Exception {
        String id = unique("rd-rel");
        String topic = unique("rd/rel");
        int packetId;
        try (RawMqttClient sub = RawMqttClient.open(broker.port())) {
            sub.connect(connect(false, id, false));
            sub.subscribe(1, topic, 2, 2);
            publishOneAndTwo(topic, false);
            Packet p1 = sub.expectPacket(RawMqttClient.PUBLISH, WAIT);
            ack(sub, RawMqttClient.PUBACK, p1.packetId);
            Packet p2 = sub.expectPacket(RawMqttClient.PUBLISH, WAIT);
            assertEquals("two", p2.payloadAsString());
            packetId = p2.packetId;
            ack(sub, RawMqttClient.PUBREC, packetId);
            assertEquals(packetId, sub.expectPacket(RawMqttClient.PUBREL, WAIT).packetId);
            // no PUBCOMP; drop the connection
        }
        try (RawMqttClient again = RawMqttClient.open(broker.port())) {
            assertTrue(again.connect(connect(false, id, false)).sessionPresent);
            Packet rel = again.expectPacket(RawMqttClient.PUBREL, WAIT);
            assertEquals(packetId, rel.packetId, "MQTT-4.4.0-1: PUBREL re-sent, not the PUBLISH");
            ack(again, RawMqttClient.PUBCOMP, packetId);
            again.expectNothing(ABSENCE);
        }
    }
}
