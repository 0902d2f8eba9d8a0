package io.anchormq.broker.session;

import static io.anchormq.broker.session.SessionHarness.ack;
import static io.anchormq.broker.session.SessionHarness.expectAck;
import static io.anchormq.broker.session.SessionHarness.expectPublish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.broker.session.ClientConnection.ReadHold;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What a session does while others are slow: acknowledgements held until the integrity log made the message
 * durable, reading paused while the log or a subscriber falls behind.
 */
class LoggingAndBackPressureTest {

    @Test
    void acknowledgementsWaitForTheLogAndKeepThePublishOrder() throws Exception {
        try (SessionHarness broker = new SessionHarness()) {
            TestConnection pub = broker.connected("pub", true, true, false);
            broker.publish(pub, "logged/a", 1, 1, "logged");
            TestIntegrityLog.Append append = broker.integrity.next();
            assertEquals("logged/a", append.message().topic());
            broker.publish(pub, "plain/b", 1, 2, "not logged, acknowledged after the first");
            pub.assertNothingSent(200);

            append.durable(0);
            expectAck(pub, MqttMessageType.PUBACK, 1);
            expectAck(pub, MqttMessageType.PUBACK, 2);
        }
    }

    @Test
    void aMessageTheLogCannotTakeIsRefusedToMqtt5AndEndsAnMqtt311Connection() throws Exception {
        try (SessionHarness broker = new SessionHarness()) {
            TestConnection v5 = broker.connected("v5", true, true, false);
            broker.publish(v5, "logged/x", 1, 3, "lost?");
            broker.integrity.next().failed();
            assertEquals(MqttReasonCodes.PubAck.UNSPECIFIED_ERROR.byteValue() & 0xFF,
                    expectAck(v5, MqttMessageType.PUBACK, 3));

            TestConnection v3 = broker.connected("v3", false, true, false);
            broker.publish(v3, "logged/x", 1, 4, "lost?");
            broker.integrity.next().failed();
            assertEquals(MqttReasonCodes.Disconnect.IMPLEMENTATION_SPECIFIC_ERROR, v3.ending().code());
            v3.assertNothingSent(100); // no PUBACK: the client sends it again
            assertEquals(2, broker.metrics.integrityLogFailures.sum());
        }
    }

    @Test
    void aRetransmittedQos1MessageIsLoggedOnceAndAcknowledgedTwice() throws Exception {
        try (SessionHarness broker = new SessionHarness()) {
            TestConnection pub = broker.connected("pub", false, true, false);
            broker.publish(pub, "logged/x", 1, 9, false, "once", MqttProperties.NO_PROPERTIES);
            broker.publish(pub, "logged/x", 1, 9, true, "once", MqttProperties.NO_PROPERTIES);
            TestIntegrityLog.Append append = broker.integrity.next();
            pub.assertNothingSent(200);
            assertEquals(0, broker.integrity.waiting());
            append.durable(0);
            expectAck(pub, MqttMessageType.PUBACK, 9);
            expectAck(pub, MqttMessageType.PUBACK, 9);
            assertEquals(1, broker.metrics.retransmissionsRecognised.sum());
        }
    }

    @Test
    void aDeviceSubscribedToItsReceiptsTopicGetsTheReceiptOfItsLoggedMessage() throws Exception {
        try (SessionHarness broker = new SessionHarness()) {
            TestConnection dev = broker.subscriber("dev", false, true, "$SYS/anchormq/receipts/dev", 1);
            broker.publish(dev, "logged/reading", 1, 2, "21.5");
            broker.integrity.next().durable(7);
            // the receipt and the PUBACK, in either order
            MqttMessage first = dev.next();
            MqttMessage second = dev.next();
            MqttPublishMessage receipt = (MqttPublishMessage) (first instanceof MqttPublishMessage ? first : second);
            MqttMessage puback = receipt == first ? second : first;
            assertEquals(MqttMessageType.PUBACK, puback.fixedHeader().messageType());
            assertEquals(2, MqttPacket.packetId(puback));
            assertEquals("$SYS/anchormq/receipts/dev", receipt.variableHeader().topicName());
            String json = receipt.content().toString(StandardCharsets.UTF_8);
            assertTrue(json.contains("\"leafIndex\":7") && json.contains("\"topic\":\"logged/reading\""), json);
        }
    }

    @Test
    void anAppendIsConfirmedOnlyWhenItsAcknowledgementOrAReceiptWaitsForIt() throws Exception {
        try (SessionHarness broker = new SessionHarness()) {
            TestConnection pub = broker.connected("pub", false, true, false);
            broker.publish(pub, "journal/a", 1, 1, "acknowledged at once");
            expectAck(pub, MqttMessageType.PUBACK, 1);
            assertFalse(broker.integrity.next().confirm());
            broker.publish(pub, "logged/a", 1, 2, "acknowledged once durable");
            assertTrue(broker.integrity.next().confirm());

            TestConnection dev = broker.subscriber("dev", false, true, "$SYS/anchormq/receipts/dev", 1);
            broker.publish(dev, "journal/b", 1, 3, "with a receipt");
            expectAck(dev, MqttMessageType.PUBACK, 3);
            TestIntegrityLog.Append append = broker.integrity.next();
            assertTrue(append.confirm(), "the device takes receipts");
            append.durable(4);
            expectPublish(dev, "$SYS/anchormq/receipts/dev", null);
        }
    }

    @Test
    void aPublisherIsNotReadWhileTheLogIsBehindAndOnlyToldOfWhatItWaitsFor() throws Exception {
        try (SessionHarness broker = new SessionHarness()) {
            TestConnection pub = broker.connected("pub", false, true, false);
            broker.publish(pub, "plain/x", 1, 1, "not logged");
            expectAck(pub, MqttMessageType.PUBACK, 1);
            assertFalse(pub.isHeld(ReadHold.INTEGRITY_LOG));

            broker.integrity.behind(true);
            broker.publish(pub, "logged/x", 1, 2, "logged while the log is behind");
            assertTrue(broker.integrity.next().confirm(), "the PUBACK waits for it: confirmed");
            awaitTrue(() -> pub.isHeld(ReadHold.INTEGRITY_LOG));
            broker.integrity.behind(false);
            awaitTrue(() -> !pub.isHeld(ReadHold.INTEGRITY_LOG));
        }
    }

    @Test
    void aCongestedSubscriberPausesItsPublisherUntilItHasDrained() throws Exception {
        try (SessionHarness broker = new SessionHarness("anchormq.mqtt.max-queued-messages = 5")) {
            TestConnection sub = broker.subscriber("sub", false, true, "t", 1);
            sub.writable(false); // its socket is full: deliveries queue
            TestConnection pub = broker.connected("pub", false, true, false);
            for (int i = 1; i <= 5; i++) {
                broker.publish(pub, "t", 1, i, "m" + i);
                expectAck(pub, MqttMessageType.PUBACK, i);
            }
            awaitTrue(() -> pub.isHeld(ReadHold.CONGESTED_SUBSCRIBERS));
            broker.publish(pub, "t", 1, 6, "m6");
            pub.assertNothingSent(200); // held, not processed
            assertEquals(1, broker.metrics.backPressurePauses.sum());

            sub.writable(true);
            for (int i = 1; i <= 5; i++) {
                MqttPublishMessage m = expectPublish(sub, "t", "m" + i);
                ack(sub, MqttMessageType.PUBACK, m.variableHeader().packetId());
            }
            expectAck(pub, MqttMessageType.PUBACK, 6);
            expectPublish(sub, "t", "m6");
            assertFalse(pub.isHeld(ReadHold.CONGESTED_SUBSCRIBERS));
            assertEquals(0, broker.metrics.droppedQueueFull.sum());
        }
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s");
            }
            Thread.sleep(5);
        }
    }
}
