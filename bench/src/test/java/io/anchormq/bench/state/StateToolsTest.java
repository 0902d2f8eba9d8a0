package io.anchormq.bench.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.platform.AnchormqServer;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** fill-state against an in-process anchormq: the sessions and retained messages it makes are there afterwards. */
class StateToolsTest {

    private static AnchormqServer server;

    @BeforeAll
    static void startBroker() {
        Config config = ConfigFactory.parseMap(Map.of(
                        "anchormq.mqtt.host", "127.0.0.1",
                        "anchormq.mqtt.port", 0,
                        "anchormq.http.host", "127.0.0.1",
                        "anchormq.http.port", 0,
                        "anchormq.data-dir", "target/test-data/" + UUID.randomUUID()))
                .withFallback(ConfigFactory.load());
        server = AnchormqServer.start(config);
    }

    @AfterAll
    static void stopBroker() {
        server.close();
    }

    @Test
    void fillStateMakesPersistentSubscribedSessionsAndRetainedMessages() throws Exception {
        int port = server.mqttPort();
        assertEquals(0, new CommandLine(new FillStateCommand()).execute("--port", Integer.toString(port),
                "--sessions", "20", "--retained", "300", "--threads", "3", "--publishers", "2", "--window", "8"));
        // a session made by fill-state is there (session present), and its subscription delivers
        try (MqttLink sub = MqttLink.open("127.0.0.1", port, false, 10_000);
             MqttLink pub = MqttLink.open("127.0.0.1", port, false, 10_000)) {
            assertTrue(sub.connect(FillStateCommand.clientId(7), false, 0, 0), "session present");
            assertFalse(pub.connect("state-test-pub", true, 0, 0));
            pub.publish(FillStateCommand.sessionTopic(7), new byte[] {1, 2, 3}, 1, false, 1);
            pub.flush();
            assertEquals(MqttLink.PUBACK, pub.read().type());
            MqttLink.Packet p = sub.read();
            assertEquals(MqttLink.PUBLISH, p.type());
            MqttLink.Publish m = sub.publish(p);
            assertEquals(FillStateCommand.sessionTopic(7), m.topic());
            assertArrayEquals(new byte[] {1, 2, 3}, m.payload());
            sub.puback(m.packetId());
            sub.flush();
            // a retained message, served to a new subscription
            pub.subscribe(2, 1, FillStateCommand.retainedTopic(299));
            pub.flush();
            MqttLink.Packet first = pub.read();
            MqttLink.Packet retained = first.type() == MqttLink.PUBLISH ? first : pub.read();
            MqttLink.Publish r = pub.publish(retained);
            assertTrue(r.retain());
            assertArrayEquals(FillStateCommand.retainedPayload(299, 16), r.payload());
            sub.disconnect();
            pub.disconnect();
        }
    }

    @Test
    void heapUsedIsSummedOverTheGenerations() {
        String serial = """
                1234:
                 def new generation   total 157248K, used 2048K [0x00000000, 0x00000000, 0x00000000)
                  eden space 139776K,   1% used [0x00000000, 0x00000000, 0x00000000)
                 tenured generation   total 349568K, used 8192K [0x00000000, 0x00000000, 0x00000000)
                   the space 349568K,   2% used [0x00000000, 0x00000000, 0x00000000, 0x00000000)
                 Metaspace       used 40000K, committed 41000K, reserved 1105920K
                  class space    used 5000K, committed 5500K, reserved 1048576K
                """;
        assertEquals(10.0, BrokerProcess.heapUsedMb(serial));
        String g1 = """
                 garbage-first heap   total 262144K, used 5120K [0x00000000, 0x00000000)
                  region size 1024K, 5 young (5120K), 0 survivors (0K)
                 Metaspace       used 1123K, committed 1280K, reserved 1056768K
                """;
        assertEquals(5.0, BrokerProcess.heapUsedMb(g1));
        assertNull(BrokerProcess.heapUsedMb("1234:\nCould not attach"));
    }
}
