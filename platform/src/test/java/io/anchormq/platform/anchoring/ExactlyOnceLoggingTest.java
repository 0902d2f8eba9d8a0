package io.anchormq.platform.anchoring;

import static io.anchormq.platform.testsupport.RawMqttClient.PUBACK;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBCOMP;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBREC;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBREL;
import static io.anchormq.platform.testsupport.RawMqttClient.V3_1_1;
import static io.anchormq.platform.testsupport.RawMqttClient.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.LogHttp;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Publish;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A message enters the integrity log once however often the client retransmits it: QoS 2 before PUBREL (the
 * protocol's exactly-once), QoS 1 with DUP while the session still knows the packet id, in both protocol versions.
 */
class ExactlyOnceLoggingTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static BrokerFixture broker;

    @BeforeAll
    static void start() {
        broker = BrokerFixture.start("anchormq.anchoring.batch.max-delay = 20ms");
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aQos2RetransmissionBeforePubrelIsLoggedOnce() throws Exception {
        for (int version : new int[] {V3_1_1, V5}) {
            String id = "eo2-" + version + "-" + UUID.randomUUID();
            String topic = "exactly/" + id;
            try (RawMqttClient c = RawMqttClient.open(broker.port())) {
                c.protocolVersion(version);
                c.connect(version == V5 ? Connect.v5(id) : Connect.v311(id));
                c.send(Publish.v5(topic).version(version).qos(2).packetId(7).payload("reading").encode());
                c.expectPacket(PUBREC, WAIT);
                c.send(Publish.v5(topic).version(version).qos(2).dup(true).packetId(7).payload("reading").encode());
                c.expectPacket(PUBREC, WAIT);
                c.send(RawMqttClient.ack(PUBREL, version, 7, 0, Props.NONE));
                c.expectPacket(PUBCOMP, WAIT);
                // a marker published after it is logged after it: once the marker is there, so is everything before
                c.send(Publish.v5(topic).version(version).qos(1).packetId(8).payload("marker").encode());
                c.expectPacket(PUBACK, WAIT);
            }
            awaitLogged(id, topic, "marker");
            assertEquals(1, lookup(id, topic, "reading"), "QoS 2 entries for protocol " + version);
        }
    }

    @Test
    void aQos1DupRetransmissionAfterReconnectIsLoggedOnceAndANewMessageUnderTheSameIdIsNot() throws Exception {
        for (int version : new int[] {V3_1_1, V5}) {
            String id = "eo1-" + version + "-" + UUID.randomUUID();
            String topic = "exactly/" + id;
            Connect persistent = version == V5
                    ? Connect.v5(id).cleanSession(false).properties(Props.of().integer(
                            RawMqttClient.SESSION_EXPIRY_INTERVAL, 300))
                    : Connect.v311(id).cleanSession(false);
            try (RawMqttClient c = RawMqttClient.open(broker.port())) {
                c.protocolVersion(version);
                c.connect(persistent);
                c.send(Publish.v5(topic).version(version).qos(1).packetId(9).payload("reading").encode());
                awaitLogged(id, topic, "reading");
                // the connection drops before the client reads the PUBACK
            }
            try (RawMqttClient c = RawMqttClient.open(broker.port())) {
                c.protocolVersion(version);
                c.connect(persistent);
                c.send(Publish.v5(topic).version(version).qos(1).dup(true).packetId(9).payload("reading").encode());
                c.expectPacket(PUBACK, WAIT);
                // same packet id, new content: a different message, logged
                c.send(Publish.v5(topic).version(version).qos(1).dup(true).packetId(9).payload("other").encode());
                c.expectPacket(PUBACK, WAIT);
                c.send(Publish.v5(topic).version(version).qos(1).packetId(10).payload("marker").encode());
                c.expectPacket(PUBACK, WAIT);
                c.disconnectAndClose();
            }
            awaitLogged(id, topic, "marker");
            assertEquals(1, lookup(id, topic, "reading"), "retransmitted QoS 1 entries, protocol " + version);
            assertEquals(1, lookup(id, topic, "other"), "new QoS 1 message under a reused id, protocol " + version);
        }
    }

    private static void awaitLogged(String clientId, String topic, String payload) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (lookup(clientId, topic, payload) == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(payload + " of " + clientId + " was not logged");
            }
            Thread.sleep(20);
        }
    }

    /** How many entries the log has for this message. */
    private static int lookup(String clientId, String topic, String payload) throws Exception {
        return LogHttp.lookup(broker.httpPort(), clientId, topic, payload.getBytes(StandardCharsets.UTF_8)).size();
    }
}
