package io.anchormq.platform;

import static io.anchormq.platform.PahoTestClients.assertNothing;
import static io.anchormq.platform.PahoTestClients.unique;
import static io.anchormq.platform.PahoTestClients.utf8;
import static io.anchormq.platform.RawSocketMqtt.intProp;
import static io.anchormq.platform.RawSocketMqtt.props;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.PahoTestClients.V5;
import io.anchormq.platform.PahoTestClients.V5Msg;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** MQTT 5 topic aliases (both directions), Maximum Packet Size and Receive Maximum. */
@Timeout(30)
class PahoV5FlowControlTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration ABSENCE = Duration.ofMillis(600);

    private static BrokerFixture broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerFixture.start("anchormq.mqtt.topic-alias-maximum = 8");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static V5 connected(String id) throws Exception {
        V5 c = new V5(broker.tcpUri(), id);
        c.connect(true, null);
        return c;
    }

    private static RawSocketMqtt raw(String id, MqttProperties connectProps, MqttConnAckMessage[] ackOut)
            throws Exception {
        RawSocketMqtt raw = RawSocketMqtt.open(broker.port());
        MqttConnAckMessage ack = raw.connect(RawSocketMqtt.connectV5(id, true, connectProps).build());
        assertEquals(0, RawSocketMqtt.connackCode(ack));
        if (ackOut != null) {
            ackOut[0] = ack;
        }
        return raw;
    }

    private static MqttProperties alias(int alias) {
        return props(intProp(MqttPropertyType.TOPIC_ALIAS, alias));
    }

    private static int pubackReason(MqttMessage ack) {
        return ((MqttPubReplyMessageVariableHeader) ack.variableHeader()).reasonCode() & 0xFF;
    }

    // ------------------------------------------------------------------ client -> server aliases

    @Test
    void clientToServerTopicAliasIsResolved() throws Exception {
        String topic = unique("v5/alias-in");
        MqttConnAckMessage[] ack = new MqttConnAckMessage[1];
        try (V5 sub = connected(unique("v5-sub")); RawSocketMqtt pub = raw(unique("v5-rawpub"),
                MqttProperties.NO_PROPERTIES, ack)) {
            assertEquals(Integer.valueOf(8), RawSocketMqtt.intProperty(ack[0].variableHeader().properties(),
                    MqttPropertyType.TOPIC_ALIAS_MAXIMUM), "CONNACK Topic Alias Maximum = configured 8");
            sub.subscribe(topic, 1);
            pub.publish(topic, MqttQoS.AT_LEAST_ONCE, false, 1, utf8("first"), alias(3));
            assertEquals(0, pubackReason(pub.expect(MqttMessageType.PUBACK, WAIT)));
            pub.publish("", MqttQoS.AT_LEAST_ONCE, false, 2, utf8("second"), alias(3));
            assertEquals(0, pubackReason(pub.expect(MqttMessageType.PUBACK, WAIT)));

            V5Msg a = sub.next(WAIT);
            V5Msg b = sub.next(WAIT);
            assertEquals(topic, a.topic());
            assertEquals("first", a.text());
            assertEquals(topic, b.topic(), "empty topic + alias must resolve to the aliased topic");
            assertEquals("second", b.text());
        }
    }

    private static void assertDisconnectedWith(RawSocketMqtt raw, int reason) throws Exception {
        MqttMessage d = raw.expect(MqttMessageType.DISCONNECT, WAIT);
        assertEquals(reason, RawSocketMqtt.disconnectReason(d), "DISCONNECT reason code");
        assertTrue(raw.awaitClosed(WAIT), "connection must be closed after DISCONNECT");
    }

    @Test
    void topicAliasZeroIsRejectedWithDisconnect0x94() throws Exception {
        try (RawSocketMqtt pub = raw(unique("v5-alias0"), MqttProperties.NO_PROPERTIES, null)) {
            pub.publish(unique("v5/alias0"), MqttQoS.AT_LEAST_ONCE, false, 1, utf8("x"), alias(0));
            assertDisconnectedWith(pub, 0x94);
        }
    }

    @Test
    void topicAliasAboveMaximumIsRejectedWithDisconnect0x94() throws Exception {
        try (RawSocketMqtt pub = raw(unique("v5-alias9"), MqttProperties.NO_PROPERTIES, null)) {
            pub.publish(unique("v5/alias9"), MqttQoS.AT_LEAST_ONCE, false, 1, utf8("x"), alias(9));
            assertDisconnectedWith(pub, 0x94);
        }
    }

    @Test
    void unknownTopicAliasWithEmptyTopicIsProtocolError() throws Exception {
        try (RawSocketMqtt pub = raw(unique("v5-aliasU"), MqttProperties.NO_PROPERTIES, null)) {
            pub.publish("", MqttQoS.AT_LEAST_ONCE, false, 1, utf8("x"), alias(5));
            assertDisconnectedWith(pub, 0x82);
        }
    }

    // ------------------------------------------------------------------ server -> client aliases

    /** Publishes three QoS 1 messages to the topic and returns the raw PUBLISH packets (acknowledged). */
    private static List<MqttPublishMessage> threeMessagesTo(RawSocketMqtt raw, String topic) throws Exception {
        raw.subscribe(1, topic, MqttQoS.AT_LEAST_ONCE);
        List<MqttPublishMessage> got = new ArrayList<>();
        try (V5 pub = connected(unique("v5-pub"))) {
            for (int i = 0; i < 3; i++) {
                pub.publish(topic, "p" + i, 1, false);
            }
            for (int i = 0; i < 3; i++) {
                MqttPublishMessage p = raw.expect(MqttMessageType.PUBLISH, WAIT);
                assertEquals("p" + i, PahoTestClients.str(RawSocketMqtt.payload(p)));
                raw.puback(p.variableHeader().packetId());
                got.add(p);
            }
        }
        return got;
    }

    @Test
    void serverUsesTopicAliasesWhenClientAllowsThem() throws Exception {
        String topic = unique("v5/alias-out");
        try (RawSocketMqtt sub = raw(unique("v5-tam"),
                props(intProp(MqttPropertyType.TOPIC_ALIAS_MAXIMUM, 5)), null)) {
            List<MqttPublishMessage> got = threeMessagesTo(sub, topic);
            Map<Integer, String> aliases = new HashMap<>();
            Integer firstAlias = null;
            for (MqttPublishMessage p : got) {
                Integer a = RawSocketMqtt.intProperty(p.variableHeader().properties(), MqttPropertyType.TOPIC_ALIAS);
                String name = p.variableHeader().topicName();
                assertNotNull(a, "every PUBLISH to a client with Topic Alias Maximum 5 should use an alias: " + p);
                assertTrue(a >= 1 && a <= 5, "MQTT-3.3.2-9: alias must be within 1..5, got " + a);
                if (firstAlias == null) {
                    firstAlias = a;
                    assertEquals(topic, name, "first use of an alias must carry the topic name");
                }
                assertEquals(firstAlias, a, "the same topic must keep its alias");
                if (!name.isEmpty()) {
                    aliases.put(a, name);
                }
                assertEquals(topic, aliases.get(a), "alias resolves to the right topic");
            }
        }
    }

    @Test
    void serverSendsNoTopicAliasesWhenClientDoesNotAllowThem() throws Exception {
        String topic = unique("v5/alias-none");
        try (RawSocketMqtt sub = raw(unique("v5-notam"), MqttProperties.NO_PROPERTIES, null)) {
            for (MqttPublishMessage p : threeMessagesTo(sub, topic)) {
                assertNull(RawSocketMqtt.intProperty(p.variableHeader().properties(), MqttPropertyType.TOPIC_ALIAS),
                        "MQTT-3.3.2-8: no Topic Alias to a client without Topic Alias Maximum");
                assertEquals(topic, p.variableHeader().topicName());
            }
        }
    }

    @Test
    void pahoClientWithTopicAliasMaximumReceivesCorrectTopics() throws Exception {
        String topicA = unique("v5/alias-paho-a");
        String topicB = unique("v5/alias-paho-b");
        try (V5 sub = new V5(broker.tcpUri(), unique("v5-tampaho")); V5 pub = connected(unique("v5-pub"))) {
            org.eclipse.paho.mqttv5.client.MqttConnectionOptions o = V5.options(true, null);
            o.setTopicAliasMaximum(2);
            sub.connect(o);
            sub.subscribe(topicA, 1);
            sub.subscribe(topicB, 1);
            String[] order = {topicA, topicB, topicA, topicB, topicA};
            for (int i = 0; i < order.length; i++) {
                pub.publish(order[i], "x" + i, 1, false);
            }
            for (int i = 0; i < order.length; i++) {
                V5Msg m = sub.next(WAIT);
                assertEquals(order[i], m.topic());
                assertEquals("x" + i, m.text());
            }
        }
    }

    // ------------------------------------------------------------------ maximum packet size

    @Test
    void messagesLargerThanClientMaximumPacketSizeAreNotSentToThatClient() throws Exception {
        String topic = unique("mps");
        try (V5 small = new V5(broker.tcpUri(), unique("v5-mps")); V5 big = connected(unique("v5-big"));
                V5 pub = connected(unique("v5-pub"))) {
            org.eclipse.paho.mqttv5.client.MqttConnectionOptions o = V5.options(true, null);
            o.setMaximumPacketSize(100L);
            small.connect(o);
            small.subscribe(topic, 1);
            big.subscribe(topic, 1);

            byte[] large = new byte[200];
            Arrays.fill(large, (byte) 'L');
            pub.publish(topic, "small-1", 1, false);
            pub.client.publish(topic, large, 1, false).waitForCompletion(PahoTestClients.OP_TIMEOUT_MS);
            pub.publish(topic, "small-2", 1, false);

            assertEquals("small-1", small.next(WAIT).text());
            assertEquals("small-2", small.next(WAIT).text(), "the oversized message must be skipped");
            assertNothing(small.messages, ABSENCE, "the oversized message");
            assertTrue(small.client.isConnected());

            assertEquals("small-1", big.next(WAIT).text());
            assertArrayEquals(large, big.next(WAIT).message().getPayload(), "other subscriber gets the big one");
            assertEquals("small-2", big.next(WAIT).text());
        }
    }

    // ------------------------------------------------------------------ receive maximum

    @Test
    void serverNeverExceedsClientReceiveMaximum() throws Exception {
        String topic = unique("v5/recvmax");
        try (RawSocketMqtt sub = raw(unique("v5-rm"), props(intProp(MqttPropertyType.RECEIVE_MAXIMUM, 2)), null);
                V5 pub = connected(unique("v5-pub"))) {
            sub.subscribe(1, topic, MqttQoS.AT_LEAST_ONCE);
            for (int i = 0; i < 5; i++) {
                pub.publish(topic, "r" + i, 1, false);
            }
            MqttPublishMessage p0 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            MqttPublishMessage p1 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            sub.expectNothing(Duration.ofMillis(800)); // two unacknowledged: nothing more may come
            assertEquals("r0", PahoTestClients.str(RawSocketMqtt.payload(p0)));
            assertEquals("r1", PahoTestClients.str(RawSocketMqtt.payload(p1)));

            sub.puback(p0.variableHeader().packetId());
            MqttPublishMessage p2 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            assertEquals("r2", PahoTestClients.str(RawSocketMqtt.payload(p2)));
            sub.expectNothing(ABSENCE); // again two outstanding (r1, r2)

            sub.puback(p1.variableHeader().packetId());
            sub.puback(p2.variableHeader().packetId());
            MqttPublishMessage p3 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            MqttPublishMessage p4 = sub.expect(MqttMessageType.PUBLISH, WAIT);
            assertEquals("r3", PahoTestClients.str(RawSocketMqtt.payload(p3)));
            assertEquals("r4", PahoTestClients.str(RawSocketMqtt.payload(p4)));
            assertFalse(p3.fixedHeader().isDup());
            sub.puback(p3.variableHeader().packetId());
            sub.puback(p4.variableHeader().packetId());
            sub.expectNothing(ABSENCE);
        }
    }
}
