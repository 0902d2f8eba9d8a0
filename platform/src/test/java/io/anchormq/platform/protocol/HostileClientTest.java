package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.RawMqttClient.CONNACK;
import static io.anchormq.platform.testsupport.RawMqttClient.DISCONNECT;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBACK;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBCOMP;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBLISH;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBREC;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBREL;
import static io.anchormq.platform.testsupport.RawMqttClient.V3_1_1;
import static io.anchormq.platform.testsupport.RawMqttClient.V5;
import static io.anchormq.platform.testsupport.RawMqttClient.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.BrokerMemory;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Publish;
import io.anchormq.platform.testsupport.RawMqttClient.Subscription;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile and malformed client input, on raw sockets. Each test asserts (a) the broker's reaction required by the MQTT
 * 3.1.1 / 5.0 specification and (b) that a separate, already-connected and subscribed healthy client is not disturbed:
 * it still receives a message published after the hostile act.
 */
@Timeout(60)
class HostileClientTest {

    private static final int MAX_PACKET_SIZE = 1024;
    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Shared broker: default settings except a small maximum packet size. */
    private static BrokerFixture broker;
    /** Broker with a 1 s connect timeout (the shared one keeps the 10 s default so early closes are attributable). */
    private static BrokerFixture shortConnectTimeoutBroker;

    private static final AtomicInteger IDS = new AtomicInteger();

    private Healthy healthy;
    private String name;

    @BeforeAll
    static void startBrokers() {
        broker = BrokerFixture.start("anchormq.mqtt.max-packet-size = " + MAX_PACKET_SIZE);
        shortConnectTimeoutBroker = BrokerFixture.start("anchormq.mqtt.connect-timeout = 1s");
    }

    @AfterAll
    static void stopBrokers() {
        if (broker != null) {
            broker.close();
        }
        if (shortConnectTimeoutBroker != null) {
            shortConnectTimeoutBroker.close();
        }
    }

    @BeforeEach
    void connectHealthyClient(TestInfo info) throws IOException {
        name = info.getTestMethod().orElseThrow().getName();
        healthy = Healthy.connect(broker.port(), name);
    }

    @AfterEach
    void closeHealthyClient() {
        if (healthy != null) {
            healthy.close();
        }
    }

    // ===================================================================================== before / during CONNECT

    @Test
    void garbageBytesInsteadOfConnectAreClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            // packet type 0 is reserved, followed by an HTTP request line
            c.send(RawMqttClient.concat(new byte[] {0x00, 0x00},
                    "GET / HTTP/1.1\r\nHost: anchormq\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            c.expectClosed(WAIT); // MQTT 3.1.1 4.8 / 5.0 4.13: malformed -> close; the connect timeout is 10 s
        }
        healthy.assertStillServed();
    }

    @Test
    void firstPacketNotConnectIsClosedAndNotProcessed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            // a valid PUBLISH to the healthy client's topic, but before any CONNECT
            c.send(Publish.v311(healthy.topic).qos(1).packetId(7).payload("must-not-be-routed").encode());
            c.expectClosed(WAIT); // [MQTT-3.1.0-1]
        }
        healthy.assertStillServed(); // strict: the hostile PUBLISH must not arrive first
    }

    @Test
    void noConnectWithinConnectTimeoutIsClosedAfterAboutOneSecond() throws Exception {
        try (Healthy other = Healthy.connect(shortConnectTimeoutBroker.port(), name);
                RawMqttClient c = RawMqttClient.open(shortConnectTimeoutBroker.port())) {
            long start = System.nanoTime();
            c.expectClosed(Duration.ofSeconds(5));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= 900 && elapsedMs <= 3000,
                    "connect-timeout = 1s but the idle connection was closed after " + elapsedMs + " ms");
            other.assertStillServed();
        }
        healthy.assertStillServed();
    }

    @Test
    void partialConnectWithinConnectTimeoutIsClosedAfterAboutOneSecond() throws Exception {
        try (Healthy other = Healthy.connect(shortConnectTimeoutBroker.port(), name);
                RawMqttClient c = RawMqttClient.open(shortConnectTimeoutBroker.port())) {
            byte[] connect = Connect.v311("slowloris").encode();
            long start = System.nanoTime();
            c.send(java.util.Arrays.copyOf(connect, connect.length - 3)); // never completed
            c.expectClosed(Duration.ofSeconds(5));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= 900 && elapsedMs <= 3000,
                    "connect-timeout = 1s but the half-sent CONNECT was closed after " + elapsedMs + " ms");
            other.assertStillServed();
        }
        healthy.assertStillServed();
    }

    @Test
    void unsupportedProtocolLevel6GetsConnackReturnCode01ThenClose() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.send(Connect.v311(id()).protocolLevel(6).encode());
            Packet connack = c.expectPacket(CONNACK, WAIT);
            // [MQTT-3.1.2-2]: CONNACK return code 0x01 in the 3.1.1 format (remaining length 2), then close
            assertArrayEquals(new byte[] {0x00, 0x01}, connack.body, () -> "CONNACK body: " + connack);
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void wrongProtocolNameIsClosedWithoutConnack() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.send(Connect.v311(id()).protocolName("MQTX").encode());
            c.expectClosed(WAIT); // [MQTT-3.1.2-1]
        }
        healthy.assertStillServed();
    }

    @Test
    void connectReservedFlagSetIsClosedWithoutConnack() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.send(Connect.v311(id()).reservedFlag(true).encode());
            c.expectClosed(WAIT); // [MQTT-3.1.2-3]
        }
        healthy.assertStillServed();
    }

    @Test
    void willQos3IsClosedWithoutConnack() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.send(Connect.v311(id()).will(healthy.topic, bytes("will"), 3, false).encode());
            c.expectClosed(WAIT); // [MQTT-3.1.2-14]
        }
        healthy.assertStillServed(); // and no will was published for a connection that never existed
    }

    @Test
    void passwordFlagWithoutUsernameFlagIsClosedWithoutConnack() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.send(Connect.v311(id()).password(bytes("secret")).encode());
            c.expectClosed(WAIT); // [MQTT-3.1.2-22]
        }
        healthy.assertStillServed();
    }

    @Test
    void secondConnectOnSameConnectionV5GetsDisconnect82ThenClose() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(Connect.v5(id()));
            c.expectDisconnect(0x82, WAIT); // [MQTT-3.1.0-2]: Protocol Error
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void secondConnectOnSameConnectionV311IsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(Connect.v311(id()));
            c.expectClosed(WAIT); // [MQTT-3.1.0-2]
        }
        healthy.assertStillServed();
    }

    @Test
    void pipelinedPingreqRightAfterConnectIsAnsweredOnlyAfterConnack() throws Exception {
        // clients need not wait for CONNACK (3.1.1 3.1.4); the first packet from the server MUST be CONNACK
        // [MQTT-3.2.0-1]. Repeated because a violation is a race.
        for (int i = 0; i < 20; i++) {
            try (RawMqttClient c = RawMqttClient.open(broker.port())) {
                c.send(RawMqttClient.concat(Connect.v311(id()).encode(), RawMqttClient.pingreq()));
                Packet first = c.expectPacket(CONNACK, WAIT);
                assertEquals(0, first.reasonCode, first::toString);
                c.expectPacket(RawMqttClient.PINGRESP, WAIT);
            }
        }
        healthy.assertStillServed();
    }

    @Test
    void pipelinedMalformedPublishRightAfterConnectV5GetsConnackBeforeDisconnect81() throws Exception {
        // 5.0 [MQTT-3.2.0-1]: CONNACK before any other packet; [MQTT-3.14.0-1]: no DISCONNECT before a CONNACK with
        // reason < 0x80. The CONNECT is valid, so CONNACK 0x00 and then DISCONNECT 0x81 for the QoS 3 PUBLISH.
        for (int i = 0; i < 20; i++) {
            try (RawMqttClient c = RawMqttClient.open(broker.port())) {
                c.send(RawMqttClient.concat(Connect.v5(id()).encode(),
                        Publish.v5("hostile/pipelined").qos(3).packetId(1).payload("qos3").encode()));
                c.protocolVersion(V5);
                Packet first = c.expectPacket(CONNACK, WAIT);
                assertEquals(0, first.reasonCode, first::toString);
                c.expectDisconnect(0x81, WAIT);
                c.expectClosed(WAIT);
            }
        }
        healthy.assertStillServed();
    }

    @Test
    void hugeSessionExpiryIntervalDoesNotWedgeTheClientId() throws Exception {
        // 5.0 3.1.2.11.2: any four-byte value is a valid Session Expiry Interval (0xFFFFFFFF = never); the broker
        // may cap it, but a later CONNECT with the same client id must still be answered. 268435456 s ~ 8.5 years
        // (beyond the ~248 days a Pekko scheduler accepts).
        String clientId = id();
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect(Connect.v5(clientId).properties(
                    Props.of().integer(RawMqttClient.SESSION_EXPIRY_INTERVAL, 0x1000_0000L)));
        } // network close without DISCONNECT: the session stays for its (huge) expiry
        try (RawMqttClient again = RawMqttClient.open(broker.port())) {
            again.send(Connect.v5(clientId));
            Packet connack = again.expectPacket(CONNACK, WAIT);
            assertEquals(0, connack.reasonCode, connack::toString);
            again.expectAlive();
        }
        healthy.assertStillServed();
    }

    // ===================================================================================== PUBLISH

    @Test
    void publishWithQos3V5GetsDisconnect81ThenClose() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(Publish.v5(healthy.topic).qos(3).packetId(1).payload("qos3"));
            c.expectDisconnect(0x81, WAIT); // [MQTT-3.3.1-4]: Malformed Packet
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed(); // strict: the QoS 3 message must not have been routed
    }

    @Test
    void publishWithQos3V311IsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(Publish.v311(healthy.topic).qos(3).packetId(1).payload("qos3"));
            c.expectClosed(WAIT); // [MQTT-3.3.1-4]
        }
        healthy.assertStillServed();
    }

    @Test
    void publishTopicWithWildcardsIsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(Publish.v311("hostile/+/wild/#").payload("wild"));
            c.expectClosed(WAIT); // [MQTT-3.3.2-2]
        }
        healthy.assertStillServed();
    }

    @Test
    void publishQos0WithDupFlagIsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(Publish.v311(healthy.topic).qos(0).dup(true).payload("dup-qos0"));
            c.expectClosed(WAIT); // [MQTT-3.3.1-2]
        }
        healthy.assertStillServed(); // strict: the DUP QoS 0 message must not have been routed
    }

    @Test
    void remainingLengthWithFiveBytesIsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01, 0x00, 0x01, 'a'});
            c.expectClosed(WAIT); // 3.1.1 2.2.3 / 5.0 1.5.5: at most four bytes
        }
        healthy.assertStillServed();
    }

    @Test
    void packetOfExactlyMaxPacketSizeIsAccepted() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            byte[] packet = publishOfTotalSize(V5, "hostile/size", MAX_PACKET_SIZE);
            assertEquals(MAX_PACKET_SIZE, packet.length);
            c.send(packet);
            Packet puback = c.expectPacket(PUBACK, WAIT);
            assertEquals(1, puback.packetId);
            assertTrue(puback.reasonCode < 0x80, () -> "PUBACK reason for a packet within the limit: " + puback);
        }
        healthy.assertStillServed();
    }

    @Test
    void packetOneByteOverMaxPacketSizeV5GetsDisconnect95ThenClose() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            Packet connack = c.connect5(id());
            assertEquals(MAX_PACKET_SIZE, connack.properties.getLong(RawMqttClient.MAXIMUM_PACKET_SIZE),
                    () -> "CONNACK must advertise Maximum Packet Size " + MAX_PACKET_SIZE + ": " + connack);
            c.send(publishOfTotalSize(V5, healthy.topic, MAX_PACKET_SIZE + 1));
            c.expectDisconnect(0x95, WAIT); // 5.0 3.2.2.3.6 / 4.13: Packet too large
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed(); // strict: the oversized message must not have been routed
    }

    @Test
    void announcedHugePacketV5GetsDisconnect95BeforeItsBodyIsSent() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            // announce 100 MB but send only 1000 bytes of it: the broker must react on the header, not buffer
            c.send(hugePublishPrefix(100_000_000, 1000));
            c.expectDisconnect(0x95, WAIT);
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void announcedHugePacketV311IsClosedBeforeItsBodyIsSent() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(hugePublishPrefix(100_000_000, 1000));
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void topicAliasZeroGetsDisconnect94() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(Publish.v5("hostile/alias").properties(Props.of().integer(RawMqttClient.TOPIC_ALIAS, 0))
                    .payload("alias0"));
            c.expectDisconnect(0x94, WAIT); // [MQTT-3.3.2-8]: Topic Alias invalid
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void topicAliasAboveAdvertisedMaximumGetsDisconnect94() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            Packet connack = c.connect5(id());
            Long max = connack.properties.getLong(RawMqttClient.TOPIC_ALIAS_MAXIMUM);
            int alias = (max == null ? 0 : max.intValue()) + 1;
            c.send(Publish.v5("hostile/alias").properties(Props.of().integer(RawMqttClient.TOPIC_ALIAS, alias))
                    .payload("alias-too-big"));
            c.expectDisconnect(0x94, WAIT); // [MQTT-3.3.2-9]
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void unknownTopicAliasWithEmptyTopicGetsDisconnect82() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            Packet connack = c.connect5(id());
            Long max = connack.properties.getLong(RawMqttClient.TOPIC_ALIAS_MAXIMUM);
            assertTrue(max != null && max >= 1, () -> "broker must accept topic aliases (contract: 32): " + connack);
            c.send(Publish.v5("").properties(Props.of().integer(RawMqttClient.TOPIC_ALIAS, 1)).payload("no-map"));
            c.expectDisconnect(0x82, WAIT); // 5.0 3.3.4: alias without mapping and empty topic = Protocol Error
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void topicNameWithOverlongUtf8IsClosed() throws Exception {
        assertInvalidTopicNameClosesConnection(new byte[] {'a', '/', (byte) 0xC0, (byte) 0xAF}); // [MQTT-1.5.3-1]
    }

    @Test
    void topicNameWithUtf16SurrogateIsClosed() throws Exception {
        assertInvalidTopicNameClosesConnection(new byte[] {'a', '/', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
    }

    @Test
    void topicNameWithNullCharacterIsClosed() throws Exception {
        assertInvalidTopicNameClosesConnection(new byte[] {'a', '/', 0x00, 'b'}); // [MQTT-1.5.3-2]
    }

    @Test
    void clientIdentifierWithInvalidUtf8IsClosedWithoutConnack() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            RawMqttClient.writeUtf8(body, "MQTT");
            body.write(V3_1_1);
            body.write(0x02); // clean session
            RawMqttClient.writeU16(body, 0);
            RawMqttClient.writeBinary(body, new byte[] {'c', (byte) 0xC0, (byte) 0xAF});
            c.send(RawMqttClient.packet(RawMqttClient.CONNECT << 4, body.toByteArray()));
            c.expectClosed(WAIT); // [MQTT-1.5.3-1]
        }
        healthy.assertStillServed();
    }

    @Test
    void topicFilterWithInvalidUtf8IsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            RawMqttClient.writeU16(body, 6);
            RawMqttClient.writeBinary(body, new byte[] {'a', '/', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
            body.write(1);
            c.send(RawMqttClient.packet(RawMqttClient.SUBSCRIBE << 4 | 0x02, body.toByteArray()));
            c.expectClosed(WAIT); // [MQTT-1.5.3-1]: no SUBACK, closed
        }
        healthy.assertStillServed();
    }

    @Test
    void publishWithPropertyIncludedTwiceGetsDisconnect82() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(Publish.v5(healthy.topic).qos(1).packetId(2).payload("twice").properties(Props.of()
                    .integer(RawMqttClient.MESSAGE_EXPIRY_INTERVAL, 60)
                    .integer(RawMqttClient.MESSAGE_EXPIRY_INTERVAL, 120)));
            c.expectDisconnect(0x82, WAIT); // 5.0 2.2.2.2: a property other than user property twice = Protocol Error
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed(); // strict: the message must not have been routed
    }

    @Test
    void publishFromClientWithSubscriptionIdentifierGetsDisconnect82() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(Publish.v5(healthy.topic).qos(1).packetId(2).payload("subid").properties(Props.of()
                    .integer(RawMqttClient.SUBSCRIPTION_IDENTIFIER, 5)));
            c.expectDisconnect(0x82, WAIT); // [MQTT-3.3.4-6]: client PUBLISH MUST NOT carry a Subscription Identifier
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    private void assertInvalidTopicNameClosesConnection(byte[] topic) throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(Publish.v311("").topicBytes(topic).qos(1).packetId(3).payload("bad-utf8").encode());
            c.expectClosed(WAIT); // no PUBACK, closed
        }
        healthy.assertStillServed();
    }

    /**
     * A client that keeps answering PUBRECs with PUBRELs while the broker ends its connection still reads the
     * DISCONNECT: the broker half-closes and drains instead of resetting the connection under the client's writes.
     */
    @Test
    void aClientStillWritingWhenDisconnectedForReceiveMaximumReadsTheDisconnect() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            Packet connack = c.connect5(id());
            int receiveMaximum = connack.properties.getLong(RawMqttClient.RECEIVE_MAXIMUM).intValue();
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int id = 1; id <= receiveMaximum + 1; id++) {
                burst.writeBytes(Publish.v5("hostile/receive-max-linger").qos(2).packetId(id).payload("m" + id).encode());
            }
            c.send(burst.toByteArray());
            Thread.sleep(200); // the broker has sent everything and ended the connection before we answer
            Packet p;
            while ((p = c.poll(WAIT)) != null && p.type == PUBREC) {
                c.send(RawMqttClient.ack(PUBREL, V5, p.packetId, 0, Props.NONE));
            }
            assertNotNull(p, "no DISCONNECT within " + WAIT);
            Packet last = p;
            assertEquals(DISCONNECT, last.type, () -> "expected DISCONNECT, got " + last);
            assertEquals(0x93, last.reasonCode, () -> "DISCONNECT reason: " + last);
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void exceedingReceiveMaximumWithUncompletedQos2GetsDisconnect93() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            Packet connack = c.connect5(id());
            Long advertised = connack.properties.getLong(RawMqttClient.RECEIVE_MAXIMUM);
            assertNotNull(advertised, () -> "CONNACK must advertise Receive Maximum (contract: 64): " + connack);
            int receiveMaximum = advertised.intValue();
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int id = 1; id <= receiveMaximum + 1; id++) {
                burst.writeBytes(Publish.v5("hostile/receive-max").qos(2).packetId(id).payload("m" + id).encode());
            }
            c.send(burst.toByteArray()); // never PUBREL
            for (int id = 1; id <= receiveMaximum; id++) {
                Packet pubrec = c.expectPacket(PUBREC, WAIT);
                assertEquals(id, pubrec.packetId, () -> "PUBREC order: " + pubrec);
            }
            c.expectDisconnect(0x93, WAIT); // [MQTT-3.3.4-9]: Receive Maximum exceeded
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void pubrelForUnknownPacketIdV5GetsPubcompReason92AndConnectionStays() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(RawMqttClient.ack(PUBREL, V5, 4711, 0, Props.NONE));
            Packet pubcomp = c.expectPacket(PUBCOMP, WAIT);
            assertEquals(4711, pubcomp.packetId);
            assertEquals(hex(0x92), hex(pubcomp.reasonCode), () -> "PUBCOMP: " + pubcomp); // Packet Id not found
            c.expectAlive();
        }
        healthy.assertStillServed();
    }

    @Test
    void pubrelForUnknownPacketIdV311GetsPubcompAndConnectionStays() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(RawMqttClient.ack(PUBREL, V3_1_1, 4711, 0, Props.NONE));
            Packet pubcomp = c.expectPacket(PUBCOMP, WAIT); // 3.1.1 4.3.3: a PUBREL is always answered with PUBCOMP
            assertEquals(4711, pubcomp.packetId);
            assertEquals(2, pubcomp.body.length, () -> "3.1.1 PUBCOMP: " + pubcomp);
            c.expectAlive();
        }
        healthy.assertStillServed();
    }

    // ===================================================================================== SUBSCRIBE

    @Test
    void subscribeWithoutTopicFiltersV311IsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(RawMqttClient.subscribe(V3_1_1, 5, Props.NONE));
            c.expectClosed(WAIT); // [MQTT-3.8.3-3]
        }
        healthy.assertStillServed();
    }

    @Test
    void subscribeWithoutTopicFiltersV5GetsDisconnect81or82ThenClose() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(RawMqttClient.subscribe(V5, 5, Props.NONE));
            Packet disconnect = c.expectPacket(DISCONNECT, WAIT); // [MQTT-3.8.3-2]: Protocol Error
            assertTrue(disconnect.reasonCode == 0x81 || disconnect.reasonCode == 0x82, disconnect::toString);
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void subscribeWithReservedOptionBitsV311IsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(RawMqttClient.subscribe(V3_1_1, 5, Props.NONE, new Subscription("hostile/opts", 0x04 | 1)));
            c.expectClosed(WAIT); // [MQTT-3.8.3-4] (3.1.1: upper six bits reserved)
        }
        healthy.assertStillServed();
    }

    @Test
    void subscribeWithReservedOptionBitsV5IsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(RawMqttClient.subscribe(V5, 5, Props.NONE, new Subscription("hostile/opts", 0xC0 | 1)));
            c.expectClosedAfterOptionalDisconnect(WAIT, 0x81, 0x82); // [MQTT-3.8.3-5]
        }
        healthy.assertStillServed();
    }

    @Test
    void subscribeWithRetainHandling3V5IsClosed() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(RawMqttClient.subscribe(V5, 5, Props.NONE,
                    new Subscription("hostile/opts", RawMqttClient.options(1, false, false, 3))));
            c.expectClosedAfterOptionalDisconnect(WAIT, 0x81, 0x82); // 5.0 3.8.3.1: value 3 is a Protocol Error
        }
        healthy.assertStillServed();
    }

    @Test
    void noLocalOnSharedSubscriptionGetsDisconnect82() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(RawMqttClient.subscribe(V5, 5, Props.NONE,
                    new Subscription("$share/g/hostile/shared", RawMqttClient.options(1, true, false, 0))));
            c.expectDisconnect(0x82, WAIT); // [MQTT-3.8.3-4]
            c.expectClosed(WAIT);
        }
        healthy.assertStillServed();
    }

    @Test
    void invalidTopicFiltersV311GetSubackFailure80() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect311(id());
            c.send(invalidFilterSubscribe(V3_1_1));
            Packet suback = c.expectPacket(RawMqttClient.SUBACK, WAIT);
            assertEquals(9, suback.packetId);
            assertEquals(List.of(0x80, 0x80, 0x80, 0x01), suback.reasonCodes, suback::toString);
            c.expectAlive();
        }
        healthy.assertStillServed();
    }

    @Test
    void invalidTopicFiltersV5GetSubackReason8F() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect5(id());
            c.send(invalidFilterSubscribe(V5));
            Packet suback = c.expectPacket(RawMqttClient.SUBACK, WAIT);
            assertEquals(9, suback.packetId);
            assertEquals(List.of(0x8F, 0x8F, 0x8F, 0x01), suback.reasonCodes, suback::toString);
            c.expectAlive();
        }
        healthy.assertStillServed();
    }

    private static byte[] invalidFilterSubscribe(int version) {
        return RawMqttClient.subscribe(version, 9, Props.NONE, new Subscription("a/#/b", 1),
                new Subscription("a+", 1), new Subscription("#a", 1), new Subscription("valid/+", 1));
    }

    // ===================================================================================== keep alive, will

    @Test
    void keepAliveExpiryV5GetsDisconnect8DAndWillIsPublished() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.send(Connect.v5(id()).keepAlive(1).will(healthy.topic, bytes("will-v5-" + name), 1, false));
            Packet connack = c.expectPacket(CONNACK, WAIT);
            assertEquals(0, connack.reasonCode, connack::toString);
            long start = System.nanoTime();
            Long serverKeepAlive = connack.properties.getLong(RawMqttClient.SERVER_KEEP_ALIVE);
            long keepAliveMs = 1000 * (serverKeepAlive == null ? 1 : serverKeepAlive);
            c.expectDisconnect(0x8D, Duration.ofMillis(keepAliveMs * 3 / 2 + 3000)); // Keep Alive timeout
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= keepAliveMs * 13 / 10, "disconnected after only " + elapsedMs + " ms");
            c.expectClosed(WAIT);
        }
        healthy.client.expectPublish(healthy.topic, bytes("will-v5-" + name), WAIT);
        healthy.assertStillServed();
    }

    @Test
    void keepAliveExpiryV311IsClosedAndWillIsPublished() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(broker.port())) {
            c.connect(Connect.v311(id()).keepAlive(1).will(healthy.topic, bytes("will-311-" + name), 1, false));
            long start = System.nanoTime();
            c.expectClosed(Duration.ofSeconds(5)); // [MQTT-3.1.2-24]: within 1.5 x keep alive
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= 1300 && elapsedMs <= 4000, "closed after " + elapsedMs + " ms");
        }
        healthy.client.expectPublish(healthy.topic, bytes("will-311-" + name), WAIT);
        healthy.assertStillServed();
    }

    // ===================================================================================== resource exhaustion

    @Test
    void floodingQos0PublisherThatNeverReadsDoesNotGrowBrokerMemoryOrStarveOthers() throws Exception {
        long heapBefore = BrokerMemory.usedHeapAfterGc();
        long directBefore = BrokerMemory.nettyDirectMemory();
        String floodTopic = "hostile/flood/" + name;
        try (RawMqttClient flooder = RawMqttClient.open(broker.port())) {
            flooder.connect311(id());
            flooder.subscribe(1, floodTopic, 0, 0x00); // it receives its own messages but never reads them
            byte[] one = Publish.v311(floodTopic).payload(new byte[600]).encode();
            ByteArrayOutputStream chunkOut = new ByteArrayOutputStream();
            for (int i = 0; i < 100; i++) {
                chunkOut.writeBytes(one);
            }
            byte[] chunk = chunkOut.toByteArray();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong written = new AtomicLong();
            long limit = 512 * BrokerMemory.MIB;
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = flooder.socket().getOutputStream();
                    while (!stop.get() && written.get() < limit) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException ignored) {
                    // the broker may cut a flooding client off; that is allowed
                }
            }, "flooder");
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(4000);

            // while the flooder is still connected and still not reading:
            healthy.assertStillServed();
            try (Healthy late = Healthy.connect(broker.port(), name + "-late")) {
                late.assertStillServed();
            }
            long heapGrowth = BrokerMemory.usedHeapAfterGc() - heapBefore;
            long directAfter = BrokerMemory.nettyDirectMemory();
            System.out.printf("flood: %s written by the non-reading client, heap growth %s, netty direct %s%n",
                    BrokerMemory.mib(written.get()), BrokerMemory.mib(heapGrowth), directBefore < 0 ? "not tracked"
                            : BrokerMemory.mib(directBefore) + " -> " + BrokerMemory.mib(directAfter));
            assertTrue(heapGrowth < 64 * BrokerMemory.MIB, "broker heap grew by " + BrokerMemory.mib(heapGrowth)
                    + " while a client flooded " + BrokerMemory.mib(written.get()) + " without reading");
            if (directBefore >= 0) {
                assertTrue(directAfter - directBefore < 64 * BrokerMemory.MIB, "netty direct memory grew by "
                        + BrokerMemory.mib(directAfter - directBefore) + " during the flood");
            }
            stop.set(true);
            flooder.close();
            writer.join(5000);
        }
        healthy.assertStillServed();
    }

    @Test
    void endedConnectionsAreGarbageAtOnceNotWhenTheirStartDeadlineFires() throws Exception {
        // Each connection schedules a start deadline (CONNECT, then its session's attach, 10 s each here). Left
        // uncancelled, the task keeps the closed connection, its session actor and buffers reachable for 10 s:
        // at thousands of connections a second, hundreds of MB of heap.
        String connectionClass = "io.anchormq.broker.connection.MqttConnection";
        long before = BrokerMemory.liveInstances(connectionClass);
        int n = 300;
        for (int i = 0; i < n; i++) {
            RawMqttClient c = RawMqttClient.open(broker.port());
            assertEquals(CONNACK, c.connect311(id()).type);
            c.disconnectAndClose();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos(); // inside the 10 s
        long live;
        while ((live = BrokerMemory.liveInstances(connectionClass)) > before + 10 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(live <= before + 10, live + " connections reachable after " + n + " came and went (" + before
                + " before)");
        healthy.assertStillServed();
    }

    // ===================================================================================== helpers

    private String id() {
        return "hostile-" + IDS.incrementAndGet();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A QoS 1 PUBLISH (packet id 1) whose complete encoding is exactly {@code totalSize} bytes. */
    static byte[] publishOfTotalSize(int version, String topic, int totalSize) {
        int overhead = Publish.v311(topic).qos(1).encode().length + (version == V5 ? 1 : 0);
        int payload = totalSize - overhead;
        byte[] packet = new Publish().version(version).topic(topic).qos(1).packetId(1).payload(new byte[payload])
                .encode();
        // the remaining length may need one more byte once the packet crosses 127 / 16383 bytes
        if (packet.length != totalSize) {
            packet = new Publish().version(version).topic(topic).qos(1).packetId(1)
                    .payload(new byte[payload - (packet.length - totalSize)]).encode();
        }
        assertEquals(totalSize, packet.length);
        return packet;
    }

    /** Fixed header of a QoS 0 PUBLISH announcing {@code announced} bytes, followed by only {@code sent} of them. */
    private static byte[] hugePublishPrefix(int announced, int sent) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(PUBLISH << 4);
        RawMqttClient.writeVarInt(out, announced);
        RawMqttClient.writeUtf8(out, "hostile/huge");
        out.writeBytes(new byte[sent - 14]);
        return out.toByteArray();
    }

    /** A connected 3.1.1 client subscribed with QoS 1 to its own topic, used to prove others are undisturbed. */
    static final class Healthy implements AutoCloseable {
        private static final AtomicInteger PROBES = new AtomicInteger();
        final RawMqttClient client;
        final String topic;
        private final int port;

        private Healthy(RawMqttClient client, String topic, int port) {
            this.client = client;
            this.topic = topic;
            this.port = port;
        }

        static Healthy connect(int port, String name) throws IOException {
            RawMqttClient client = RawMqttClient.open(port);
            try {
                int n = PROBES.incrementAndGet();
                client.connect311("healthy-" + n);
                String topic = "healthy/" + name + "/" + n;
                client.subscribe(1, topic, 1, 0x01);
                return new Healthy(client, topic, port);
            } catch (IOException | RuntimeException | Error e) {
                client.close();
                throw e;
            }
        }

        /**
         * A fresh client publishes a QoS 1 message to the healthy topic; the healthy client must receive exactly that
         * message next (nothing injected before it).
         */
        void assertStillServed() throws IOException {
            String payload = "probe-" + PROBES.incrementAndGet();
            try (RawMqttClient publisher = RawMqttClient.open(port)) {
                publisher.connect311("probe-publisher-" + PROBES.incrementAndGet());
                publisher.send(Publish.v311(topic).qos(1).packetId(1).payload(payload));
                Packet puback = publisher.expectPacket(PUBACK, WAIT);
                assertEquals(1, puback.packetId);
                publisher.disconnectAndClose();
            }
            client.expectPublish(topic, payload.getBytes(StandardCharsets.UTF_8), WAIT);
        }

        @Override
        public void close() {
            client.disconnectAndClose();
        }
    }
}
