package io.anchormq.broker.session;

import static io.anchormq.broker.session.SessionHarness.ack;
import static io.anchormq.broker.session.SessionHarness.expectAck;
import static io.anchormq.broker.session.SessionHarness.expectPublish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.broker.events.BrokerEvent;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A session across its connections: CONNACK, takeover, persistence while offline, clean start, wills, expiry. */
class SessionLifecycleTest {

    private final SessionHarness broker = new SessionHarness();

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void connAckComesFirstAndTellsAnMqtt5ClientTheBrokersLimits() throws Exception {
        TestConnection c = broker.connect("dev", true, true, b -> { });
        MqttConnAckMessage ack = (MqttConnAckMessage) c.next(MqttMessageType.CONNACK);
        assertEquals(0, ack.variableHeader().connectReturnCode().byteValue());
        MqttProperties p = ack.variableHeader().properties();
        assertEquals(broker.settings.receiveMaximum(), MqttPacket.intProperty(p, MqttPropertyType.RECEIVE_MAXIMUM, -1));
        assertEquals(broker.settings.maxPacketSize(), MqttPacket.intProperty(p, MqttPropertyType.MAXIMUM_PACKET_SIZE, -1));
        BrokerEvent.Connected connected = broker.awaitEvent(BrokerEvent.Connected.class, "dev");
        assertEquals("5.0", connected.protocol());
    }

    @Test
    void aPersistentSessionQueuesWhileOfflineAndResendsWhatWasUnacknowledgedWithDup() throws Exception {
        TestConnection sub = broker.subscriber("sub", false, false, "t/#", 1);
        TestConnection pub = broker.connected("pub", false, true, false);

        broker.publish(pub, "t/1", 1, 10, "first");
        expectAck(pub, MqttMessageType.PUBACK, 10);
        MqttPublishMessage first = expectPublish(sub, "t/1", "first");
        sub.lose("socket closed"); // before its PUBACK
        broker.awaitEvent(BrokerEvent.Disconnected.class, "sub");

        broker.publish(pub, "t/3", 0, 0, "not kept"); // QoS 0 is not queued for an offline client
        broker.publish(pub, "t/2", 1, 11, "second");
        expectAck(pub, MqttMessageType.PUBACK, 11); // both routed (to the offline session) by now

        TestConnection back = broker.connected("sub", false, false, true);
        MqttPublishMessage again = expectPublish(back, "t/1", "first");
        assertTrue(again.fixedHeader().isDup());
        assertEquals(first.variableHeader().packetId(), again.variableHeader().packetId());
        MqttPublishMessage queued = expectPublish(back, "t/2", "second");
        assertFalse(queued.fixedHeader().isDup());
        back.assertNothingSent(200);
        assertEquals(1, broker.metrics.droppedQos0Offline.sum());
    }

    @Test
    void aTakeoverEndsTheOldConnectionWithSessionTakenOverAndKeepsTheSession() throws Exception {
        TestConnection first = broker.subscriber("dev", true, false, "t", 1);
        TestConnection second = broker.connected("dev", true, false, true);
        assertEquals(MqttReasonCodes.Disconnect.SESSION_TAKEN_OVER, first.ending().code());
        assertEquals("session taken over", broker.awaitEvent(BrokerEvent.Disconnected.class, "dev").reason());

        TestConnection pub = broker.connected("pub", false, true, false);
        broker.publish(pub, "t", 1, 1, "to the new connection");
        expectPublish(second, "t", "to the new connection");
        first.assertNothingSent(100);
    }

    @Test
    void aLostConnectionPublishesTheWillAndANormalDisconnectDiscardsIt() throws Exception {
        TestConnection watcher = broker.subscriber("watcher", false, true, "will/#", 1);

        TestConnection dev = broker.connectedWithWill("dev", false, true, "will/dev", 0);
        dev.lose("keep alive timeout");
        expectPublish(watcher, "will/dev", "gone");

        TestConnection polite = broker.connectedWithWill("polite", false, true, "will/polite", 0);
        polite.receive(new InboundPacket.Disconnect(0, -1));
        assertTrue(polite.ending().graceful());
        watcher.assertNothingSent(300);
    }

    @Test
    void aDelayedWillIsCancelledByAReconnectAndOtherwiseGoesOutWhenItsDelayHasPassed() throws Exception {
        TestConnection watcher = broker.subscriber("watcher", false, true, "will/#", 1);

        TestConnection dev = broker.connectedWithWill("dev", true, false, "will/dev", 1);
        dev.lose("socket closed");
        watcher.assertNothingSent(400);
        TestConnection back = broker.connectedWithWill("dev", true, false, "will/dev", 1);
        watcher.assertNothingSent(900); // the first will was cancelled

        long lost = System.nanoTime();
        back.lose("socket closed");
        expectPublish(watcher, "will/dev", "gone");
        assertTrue(System.nanoTime() - lost >= 900_000_000L, "the will waited for its delay of 1 s");
    }

    @Test
    void cleanStartDiscardsTheSessionItFinds() throws Exception {
        TestConnection sub = broker.subscriber("sub", false, false, "t", 1);
        sub.lose("socket closed");
        broker.awaitEvent(BrokerEvent.Disconnected.class, "sub");
        assertEquals(1, broker.router.subscriptionCount());

        TestConnection fresh = broker.connected("sub", false, true, false);
        assertEquals(0, broker.router.subscriptionCount());
        TestConnection pub = broker.connected("pub", false, true, false);
        broker.publish(pub, "t", 1, 1, "nobody subscribed");
        expectAck(pub, MqttMessageType.PUBACK, 1);
        fresh.assertNothingSent(200);
    }

    @Test
    void aSessionThatExpiresAtDisconnectEndsWithItsConnection() throws Exception {
        TestConnection dev = broker.connected("dev", true, true, false); // MQTT 5, no Session Expiry Interval: 0
        broker.subscribe(dev, 1, "t", 0);
        assertEquals(1, broker.sessions.count());
        dev.lose("socket closed");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (broker.sessions.count() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, broker.sessions.count());
        assertEquals(0, broker.router.subscriptionCount());
    }

    @Test
    void packetsOfAConnectionTheSessionLetGoOfAreCountedOffNotAnswered() throws Exception {
        TestConnection first = broker.connected("dev", false, false, false);
        broker.connected("dev", false, false, true);
        first.ending();
        broker.publish(first, "t", 1, 5, "late");
        ack(first, MqttMessageType.PUBACK, 1);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (first.processedCount() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(2, first.processedCount());
        first.assertNothingSent(100);
    }
}
