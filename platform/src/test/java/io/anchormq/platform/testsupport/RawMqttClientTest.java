package io.anchormq.platform.testsupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Publish;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Self-test of the {@link RawMqttClient} helper against hand-assembled bytes (no broker involved). */
@Timeout(30)
class RawMqttClientTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void variableByteIntegerEncodingMatchesSpecBoundaries() {
        int[] values = {0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455};
        String[] expected = {"00", "7f", "8001", "ff7f", "808001", "ffff7f", "80808001", "ffffff7f"};
        for (int i = 0; i < values.length; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RawMqttClient.writeVarInt(out, values[i]);
            assertEquals(expected[i], HEX.formatHex(out.toByteArray()), "value " + values[i]);
        }
    }

    @Test
    void connect311EncodingMatchesHandAssembledBytes() {
        byte[] packet = Connect.v311("c").keepAlive(60).username("u").password(new byte[] {'p'}).encode();
        // 10 len | 0004 MQTT | 04 | flags C2 | 003C | 0001 c | 0001 u | 0001 p
        assertEquals("1013" + "00044d515454" + "04" + "c2" + "003c" + "000163" + "000175" + "000170",
                HEX.formatHex(packet));
    }

    @Test
    void connect5WithPropertiesAndWillMatchesHandAssembledBytes() {
        byte[] packet = Connect.v5("c").cleanSession(false)
                .properties(Props.of().integer(RawMqttClient.SESSION_EXPIRY_INTERVAL, 10))
                .will("w", new byte[] {9}, 1, true)
                .willProperties(Props.of().integer(RawMqttClient.WILL_DELAY_INTERVAL, 5))
                .encode();
        String body = "00044d515454" + "05" + "2c" + "0000" + "05" + "110000000a" + "000163" + "05" + "1800000005"
                + "000177" + "000109";
        assertEquals("10" + String.format("%02x", body.length() / 2) + body, HEX.formatHex(packet));
    }

    @Test
    void subscribeAndPubrelUseReservedFlagsOfTwo() {
        byte[] subscribe = RawMqttClient.subscribe(RawMqttClient.V5, 1, Props.NONE,
                new RawMqttClient.Subscription("a/#", RawMqttClient.options(2, true, true, 2)));
        assertEquals("82" + "09" + "0001" + "00" + "0003612f23" + "2e", HEX.formatHex(subscribe));
        assertEquals("62020007", HEX.formatHex(RawMqttClient.ack(RawMqttClient.PUBREL, 4, 7, 0, Props.NONE)));
        assertEquals("6203000792",
                HEX.formatHex(RawMqttClient.ack(RawMqttClient.PUBREL, 5, 7, 0x92, Props.NONE)));
    }

    @Test
    void decodesV5PublishWithTopicAliasSubscriptionIdentifiersAndMessageExpiry() throws Exception {
        byte[] publish = Publish.v5("t/1").qos(1).packetId(42).payload("hi")
                .properties(Props.of().integer(RawMqttClient.MESSAGE_EXPIRY_INTERVAL, 300)
                        .integer(RawMqttClient.TOPIC_ALIAS, 3)
                        .integer(RawMqttClient.SUBSCRIPTION_IDENTIFIER, 1)
                        .integer(RawMqttClient.SUBSCRIPTION_IDENTIFIER, 200_000)
                        .userProperty("k", "v"))
                .encode();
        try (FakeServer server = new FakeServer(); RawMqttClient client = RawMqttClient.open(server.port())) {
            client.protocolVersion(RawMqttClient.V5);
            Socket s = server.accept();
            OutputStream out = s.getOutputStream();
            // CONNACK: session present, success, props {Receive Maximum 64, Topic Alias Maximum 1}
            out.write(HEX.parseHex("2009" + "01" + "00" + "06" + "210040" + "220001"));
            out.write(publish, 0, 5); // split mid-packet
            out.flush();
            Packet c = client.expectPacket(RawMqttClient.CONNACK, Duration.ofSeconds(2));
            assertTrue(c.sessionPresent);
            assertEquals(0, c.reasonCode);
            assertEquals(64L, c.properties.getLong(RawMqttClient.RECEIVE_MAXIMUM));
            assertEquals(1L, c.properties.getLong(RawMqttClient.TOPIC_ALIAS_MAXIMUM));
            out.write(publish, 5, publish.length - 5);
            out.write(HEX.parseHex("e0028e00")); // DISCONNECT 0x8E with empty properties
            out.flush();
            Packet p = client.expectPacket(RawMqttClient.PUBLISH, Duration.ofSeconds(2));
            assertEquals("t/1", p.topic);
            assertEquals(1, p.qos());
            assertEquals(42, p.packetId);
            assertEquals("hi", p.payloadAsString());
            assertEquals(300L, p.properties.getLong(RawMqttClient.MESSAGE_EXPIRY_INTERVAL));
            assertEquals(3L, p.properties.getLong(RawMqttClient.TOPIC_ALIAS));
            assertEquals(List.of(1, 200_000), p.properties.getAll(RawMqttClient.SUBSCRIPTION_IDENTIFIER));
            assertArrayEquals(new String[] {"k", "v"}, (String[]) p.properties.get(RawMqttClient.USER_PROPERTY));
            assertEquals(0x8E, client.expectDisconnect(0x8E, Duration.ofSeconds(2)).reasonCode);
            s.close();
            client.expectClosed(Duration.ofSeconds(2));
        }
    }

    @Test
    void expectNothingAndExpectClosedFailWhenAPacketArrives() throws Exception {
        try (FakeServer server = new FakeServer(); RawMqttClient client = RawMqttClient.open(server.port())) {
            Socket s = server.accept();
            s.getOutputStream().write(HEX.parseHex("d000d000"));
            assertThrows(AssertionError.class, () -> client.expectNothing(Duration.ofSeconds(1)));
            assertThrows(AssertionError.class, () -> client.expectClosed(Duration.ofSeconds(1)));
            client.expectNothing(Duration.ofMillis(200));
            s.close();
            assertThrows(AssertionError.class, () -> client.expectPacket(RawMqttClient.PINGRESP,
                    Duration.ofSeconds(1)));
        }
    }

    private static final class FakeServer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());

        FakeServer() throws java.io.IOException {
        }

        int port() {
            return server.getLocalPort();
        }

        Socket accept() throws java.io.IOException {
            server.setSoTimeout(5000);
            return server.accept();
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }
}
