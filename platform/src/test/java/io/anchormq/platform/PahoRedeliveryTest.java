package io.anchormq.platform;

import static io.anchormq.platform.PahoTestClients.unique;
import static io.anchormq.platform.RawSocketMqtt.intProp;
import static io.anchormq.platform.RawSocketMqtt.props;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.PahoTestClients.V3;
import io.anchormq.platform.PahoTestClients.V5;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
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

    private static MqttConnectMessage connect(boolean v5, String id, boolean clean) {
        return v5
                ? RawSocketMqtt.connectV5(id, clean, props(intProp(MqttPropertyType.SESSION_EXPIRY_INTERVAL, 300)))
                        .build()
                : RawSocketMqtt.connectV311(id, clean).build();
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

    private static String text(MqttPublishMessage p) {
        return PahoTestClients.str(RawSocketMqtt.payload(p));
    }

    private void unacknowledgedMessagesAreResentWithDupAndSamePacketIds(boolean v5) throws Exception {
        String id = unique(v5 ? "rd5" : "rd3");
        String topic = unique("rd/topic");
        int id1;
        int id2;
        try (RawSocketMqtt fresh = RawSocketMqtt.open(broker.port())) { // start from an empty session
            assertEquals(0, RawSocketMqtt.connackCode(fresh.connect(connect(v5, id, true))));
            fresh.disconnect();
            assertTrue(fresh.awaitClosed(WAIT));
        }
        RawSocketMqtt sub = RawSocketMqtt.open(broker.port());
        try {
            assertEquals(0, RawSocketMqtt.connackCode(sub.connect(connect(v5, id, false))));
            sub.subscribe(1, topic, MqttQoS.EXACTLY_ONCE);
            publishOneAndTwo(topic, v5);

            MqttPublishMessage p1 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            MqttPublishMessage p2 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            assertEquals("one", text(p1));
            assertEquals(MqttQoS.AT_LEAST_ONCE, p1.fixedHeader().qosLevel());
            assertFalse(p1.fixedHeader().isDup());
            assertEquals("two", text(p2));
            assertEquals(MqttQoS.EXACTLY_ONCE, p2.fixedHeader().qosLevel());
            assertFalse(p2.fixedHeader().isDup());
            id1 = p1.variableHeader().packetId();
            id2 = p2.variableHeader().packetId();
            assertNotEquals(id1, id2);
            // no PUBACK, no PUBREC: just go away
            if (v5) {
                sub.disconnectV5((byte) 0, io.netty.handler.codec.mqtt.MqttProperties.NO_PROPERTIES);
            } else {
                sub.disconnect();
            }
            assertTrue(sub.awaitClosed(WAIT));
        } finally {
            sub.close();
        }

        try (RawSocketMqtt again = RawSocketMqtt.open(broker.port())) {
            MqttConnAckMessage ack = again.connect(connect(v5, id, false));
            assertEquals(0, RawSocketMqtt.connackCode(ack));
            assertTrue(ack.variableHeader().isSessionPresent());

            MqttPublishMessage r1 = again.expect(MqttMessageType.PUBLISH, WAIT);
            MqttPublishMessage r2 = again.expect(MqttMessageType.PUBLISH, WAIT);
            assertEquals("one", text(r1));
            assertTrue(r1.fixedHeader().isDup(), "MQTT-4.4.0-1: re-sent PUBLISH must have DUP=1");
            assertEquals(id1, r1.variableHeader().packetId(), "re-sent with the original packet id");
            assertEquals(MqttQoS.AT_LEAST_ONCE, r1.fixedHeader().qosLevel());
            assertEquals("two", text(r2));
            assertTrue(r2.fixedHeader().isDup(), "MQTT-4.4.0-1: re-sent PUBLISH must have DUP=1");
            assertEquals(id2, r2.variableHeader().packetId(), "re-sent with the original packet id");
            assertEquals(MqttQoS.EXACTLY_ONCE, r2.fixedHeader().qosLevel());

            again.puback(id1);
            again.pubrec(id2);
            MqttMessage rel = again.expect(MqttMessageType.PUBREL, WAIT);
            assertEquals(id2, ((MqttMessageIdVariableHeader) rel.variableHeader()).messageId());
            again.pubcomp(id2);
            again.expectNothing(ABSENCE); // nothing delivered a third time
            if (v5) {
                again.disconnectV5((byte) 0, io.netty.handler.codec.mqtt.MqttProperties.NO_PROPERTIES);
            } else {
                again.disconnect();
            }
        }

        try (RawSocketMqtt third = RawSocketMqtt.open(broker.port())) {
            MqttConnAckMessage ack = third.connect(connect(v5, id, false));
            assertTrue(ack.variableHeader().isSessionPresent());
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
    void pubrelIsResentAfterReconnectWhenPubcompWasMissing() throws Exception {
        String id = unique("rd-rel");
        String topic = unique("rd/rel");
        int packetId;
        try (RawSocketMqtt sub = RawSocketMqtt.open(broker.port())) {
            assertEquals(0, RawSocketMqtt.connackCode(sub.connect(connect(false, id, false))));
            sub.subscribe(1, topic, MqttQoS.EXACTLY_ONCE);
            publishOneAndTwo(topic, false);
            MqttPublishMessage p1 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            sub.puback(p1.variableHeader().packetId());
            MqttPublishMessage p2 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            assertEquals("two", text(p2));
            packetId = p2.variableHeader().packetId();
            sub.pubrec(packetId);
            MqttMessage rel = sub.expect(MqttMessageType.PUBREL, WAIT);
            assertEquals(packetId, ((MqttMessageIdVariableHeader) rel.variableHeader()).messageId());
            // no PUBCOMP; drop the connection
        }
        try (RawSocketMqtt again = RawSocketMqtt.open(broker.port())) {
            MqttConnAckMessage ack = again.connect(connect(false, id, false));
            assertTrue(ack.variableHeader().isSessionPresent());
            MqttMessage rel = again.expect(MqttMessageType.PUBREL, WAIT);
            assertEquals(packetId, ((MqttMessageIdVariableHeader) rel.variableHeader()).messageId(),
                    "MQTT-4.4.0-1: PUBREL re-sent, not the PUBLISH");
            again.pubcomp(packetId);
            again.expectNothing(ABSENCE);
        }
    }
}
