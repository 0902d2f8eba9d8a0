package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.RawMqttClient.PUBACK;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBLISH;
import static io.anchormq.platform.testsupport.RawMqttClient.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Publish;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A subscriber that falls behind slows its publishers down instead of losing their messages: once its queue holds
 * max-queued-messages the broker stops reading the publisher (no more PUBACKs), and resumes as the queue drains;
 * every QoS 1 message arrives and none is dropped.
 */
class BackPressureTest {

    private static final int MESSAGES = 1000;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static BrokerFixture broker;

    @BeforeAll
    static void start() {
        broker = BrokerFixture.start("""
                anchormq.mqtt.max-queued-messages = 100
                anchormq.anchoring.enabled = false
                """);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aSubscriberThatFallsBehindPausesItsPublisherAndLosesNothing() throws Exception {
        long droppedBefore = broker.server().broker().metrics().droppedQueueFull.sum();
        long pausesBefore = broker.server().broker().metrics().backPressurePauses.sum();
        try (RawMqttClient sub = RawMqttClient.open(broker.port());
                RawMqttClient pub = RawMqttClient.open(broker.port())) {
            sub.protocolVersion(V5);
            sub.connect(Connect.v5("bp-sub").properties(Props.of().integer(RawMqttClient.RECEIVE_MAXIMUM, 10)));
            sub.subscribe(1, "bp/slow", 1, 1);
            pub.protocolVersion(V5);
            pub.connect(Connect.v5("bp-pub"));

            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int id = 1; id <= MESSAGES; id++) {
                burst.writeBytes(Publish.v5("bp/slow").qos(1).packetId(id).payload("m" + id).encode());
            }
            pub.send(burst.toByteArray());

            // the subscriber reads nothing yet: its window (10) fills, then its queue (100); the publisher stalls
            Thread.sleep(300);
            int ackedWhileStalled = 0;
            for (Packet p; (p = pub.poll(Duration.ofMillis(50))) != null; ) {
                if (p.type == PUBACK) {
                    ackedWhileStalled++;
                }
            }
            assertTrue(ackedWhileStalled < MESSAGES / 2, "the publisher was not paused: " + ackedWhileStalled
                    + " of " + MESSAGES + " acknowledged while the subscriber read nothing");
            assertTrue(broker.server().broker().metrics().backPressurePauses.sum() > pausesBefore);

            // the subscriber catches up: everything arrives, the publisher gets every acknowledgement
            Set<String> received = new HashSet<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            int acked = ackedWhileStalled;
            while ((received.size() < MESSAGES || acked < MESSAGES) && System.nanoTime() < deadline) {
                Packet m = sub.poll(Duration.ofMillis(20));
                if (m != null && m.type == PUBLISH) {
                    received.add(new String(m.payload));
                    sub.send(RawMqttClient.ack(PUBACK, V5, m.packetId, 0, Props.NONE));
                }
                for (Packet p; (p = pub.poll(Duration.ofMillis(5))) != null; ) {
                    if (p.type == PUBACK) {
                        acked++;
                    }
                }
            }
            assertEquals(MESSAGES, received.size(), "messages delivered");
            assertEquals(MESSAGES, acked, "PUBACKs to the publisher");
        }
        assertEquals(droppedBefore, broker.server().broker().metrics().droppedQueueFull.sum(), "messages dropped");
    }
}
