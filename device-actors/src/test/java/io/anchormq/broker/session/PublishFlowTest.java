package io.anchormq.broker.session;

import static io.anchormq.broker.session.SessionHarness.ack;
import static io.anchormq.broker.session.SessionHarness.expectAck;
import static io.anchormq.broker.session.SessionHarness.expectPublish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscribePayload;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Messages through sessions: QoS 1 and 2 in both directions, the send window, retained, aliases, refusals. */
class PublishFlowTest {

    private final SessionHarness broker = new SessionHarness();

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void aQos1PublishIsAcknowledgedAndDeliveredOnceUntilItsPubAck() throws Exception {
        TestConnection sub = broker.subscriber("sub", false, true, "t", 1);
        TestConnection pub = broker.connected("pub", false, true, false);

        broker.publish(pub, "t", 1, 5, "hello");
        expectAck(pub, MqttMessageType.PUBACK, 5);
        MqttPublishMessage delivered = expectPublish(sub, "t", "hello");
        assertEquals(1, delivered.fixedHeader().qosLevel().value());
        ack(sub, MqttMessageType.PUBACK, delivered.variableHeader().packetId());
        sub.assertNothingSent(200);
        assertEquals(1, broker.metrics.messagesReceived.sum());
        assertEquals(1, broker.metrics.messagesSent.sum());
    }

    @Test
    void aQos2PublishSentAgainBeforePubRelIsDeliveredOnce() throws Exception {
        TestConnection sub = broker.subscriber("sub", true, true, "t", 2);
        TestConnection pub = broker.connected("pub", true, true, false);

        broker.publish(pub, "t", 2, 7, false, "once", MqttProperties.NO_PROPERTIES);
        expectAck(pub, MqttMessageType.PUBREC, 7);
        broker.publish(pub, "t", 2, 7, true, "once", MqttProperties.NO_PROPERTIES);
        expectAck(pub, MqttMessageType.PUBREC, 7);
        ack(pub, MqttMessageType.PUBREL, 7);
        assertEquals(0, expectAck(pub, MqttMessageType.PUBCOMP, 7));
        ack(pub, MqttMessageType.PUBREL, 7);
        assertEquals(MqttReasonCodes.PubComp.PACKET_IDENTIFIER_NOT_FOUND.byteValue() & 0xFF,
                expectAck(pub, MqttMessageType.PUBCOMP, 7));

        MqttPublishMessage delivered = expectPublish(sub, "t", "once");
        int id = delivered.variableHeader().packetId();
        sub.assertNothingSent(200);
        ack(sub, MqttMessageType.PUBREC, id);
        expectAck(sub, MqttMessageType.PUBREL, id);
        ack(sub, MqttMessageType.PUBCOMP, id);
        sub.assertNothingSent(100);
    }

    @Test
    void messagesBeyondTheClientsReceiveMaximumWaitForAnAcknowledgement() throws Exception {
        MqttProperties receiveMaximum = new MqttProperties();
        receiveMaximum.add(new MqttProperties.IntegerProperty(MqttPropertyType.RECEIVE_MAXIMUM.value(), 2));
        TestConnection sub = broker.connect("sub", true, true, b -> b.properties(receiveMaximum));
        sub.next(MqttMessageType.CONNACK);
        broker.subscribe(sub, 1, "t", 1);
        TestConnection pub = broker.connected("pub", false, true, false);
        for (int i = 1; i <= 3; i++) {
            broker.publish(pub, "t", 1, i, "m" + i);
            expectAck(pub, MqttMessageType.PUBACK, i);
        }
        MqttPublishMessage m1 = expectPublish(sub, "t", "m1");
        expectPublish(sub, "t", "m2");
        sub.assertNothingSent(200);
        ack(sub, MqttMessageType.PUBACK, m1.variableHeader().packetId());
        expectPublish(sub, "t", "m3");
    }

    @Test
    void aRetainedMessageIsSentOnSubscribeWithTheRetainFlag() throws Exception {
        TestConnection pub = broker.connected("pub", false, true, false);
        pub.receive(new InboundPacket.Publish("status/dev", 1, false, true, 3, MqttProperties.NO_PROPERTIES,
                "online".getBytes(), broker.fence.position()));
        expectAck(pub, MqttMessageType.PUBACK, 3);
        TestConnection sub = broker.subscriber("sub", false, true, "status/#", 1);
        MqttPublishMessage retained = expectPublish(sub, "status/dev", "online");
        assertTrue(retained.fixedHeader().isRetain());
    }

    @Test
    void aTopicAliasStandsForTheTopicItWasSetWith() throws Exception {
        TestConnection sub = broker.subscriber("sub", false, true, "a/b", 0);
        TestConnection pub = broker.connected("pub", true, true, false);
        MqttProperties alias = new MqttProperties();
        alias.add(new MqttProperties.IntegerProperty(MqttPropertyType.TOPIC_ALIAS.value(), 1));
        broker.publish(pub, "a/b", 0, 0, false, "named", alias);
        broker.publish(pub, "", 0, 0, false, "aliased", alias);
        expectPublish(sub, "a/b", "named");
        expectPublish(sub, "a/b", "aliased");
    }

    @Test
    void brokenRulesEndTheConnectionWithTheirReasonCodeAndAreCounted() throws Exception {
        TestConnection dupQos0 = broker.connected("a", true, true, false);
        broker.publish(dupQos0, "t", 0, 0, true, "x", MqttProperties.NO_PROPERTIES);
        assertEquals(MqttReasonCodes.Disconnect.MALFORMED_PACKET, dupQos0.ending().code());

        TestConnection badAlias = broker.connected("b", true, true, false);
        MqttProperties alias = new MqttProperties();
        alias.add(new MqttProperties.IntegerProperty(MqttPropertyType.TOPIC_ALIAS.value(), 0));
        broker.publish(badAlias, "t", 0, 0, false, "x", alias);
        assertEquals(MqttReasonCodes.Disconnect.TOPIC_ALIAS_INVALID, badAlias.ending().code());

        TestConnection unexpected = broker.connected("c", true, true, false);
        unexpected.receive(new InboundPacket.Unexpected(MqttMessageType.CONNACK));
        assertEquals(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, unexpected.ending().code());
        assertEquals(3, broker.metrics.protocolErrors.sum());
    }

    @Test
    void publishingUnderSysIsRefusedWithNotAuthorized() throws Exception {
        TestConnection sub = broker.subscriber("sub", false, true, "$SYS/#", 1);
        TestConnection pub = broker.connected("pub", true, true, false);
        broker.publish(pub, "$SYS/anchormq/metrics", 1, 4, "forged");
        assertEquals(0x87, expectAck(pub, MqttMessageType.PUBACK, 4));
        sub.assertNothingSent(200);
    }

    @Test
    void unsubscribeStopsDeliveryAndSaysWhichFiltersExisted() throws Exception {
        TestConnection sub = broker.subscriber("sub", true, true, "t", 1);
        sub.receive(new InboundPacket.Unsubscribe(2, List.of("t", "never/subscribed")));
        MqttUnsubAckMessage ack = (MqttUnsubAckMessage) sub.next(MqttMessageType.UNSUBACK);
        assertEquals(List.of((short) 0, (short) MqttReasonCodes.UnsubAck.NO_SUBSCRIPTION_EXISTED.byteValue()),
                ack.payload().unsubscribeReasonCodes());
        TestConnection pub = broker.connected("pub", true, true, false);
        broker.publish(pub, "t", 1, 1, "after");
        assertEquals(MqttReasonCodes.PubAck.NO_MATCHING_SUBSCRIBERS.byteValue(), expectAck(pub, MqttMessageType.PUBACK, 1));
        sub.assertNothingSent(200);
    }

    @Test
    void aSubscribeWithoutFiltersIsAProtocolError() throws Exception {
        TestConnection sub = broker.connected("sub", true, true, false);
        MqttSubscribeMessage empty = new MqttSubscribeMessage(
                new MqttFixedHeader(MqttMessageType.SUBSCRIBE, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                new MqttMessageIdAndPropertiesVariableHeader(1, MqttProperties.NO_PROPERTIES),
                new MqttSubscribePayload(List.of()));
        sub.receive(new InboundPacket.Subscribe(empty, broker.fence.subscribeArrived()));
        assertEquals(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, sub.ending().code());
        assertEquals(0, broker.router.subscriptionCount());
    }
}
