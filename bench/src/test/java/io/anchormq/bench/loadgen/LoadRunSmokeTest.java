package io.anchormq.bench.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.platform.AnchormqServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Tiny load runs against an in-process anchormq, a second each: they keep the load generator working and check what
 * it counts. Throughput and latency are printed, never asserted.
 */
class LoadRunSmokeTest {

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

    /**
     * A fixed rate well below what the broker takes: as fast as possible, a subscriber's bounded queue may overflow
     * (and anchormq then drops and counts, as documented), which is a load result, not what these tests are about.
     */
    private static LoadSpec spec(Scenario scenario, int clients, int qos, boolean mqtt5) {
        return new LoadSpec("anchormq", "127.0.0.1", server.mqttPort(), scenario, clients, 3, qos, 64, 500, 16,
                Duration.ZERO, Duration.ofMillis(700), Duration.ofSeconds(5), Duration.ofSeconds(2),
                Duration.ofSeconds(10), 0, 50, mqtt5, 30, 2);
    }

    @Test
    void pointToPointQos1DeliversEverythingOnceInOrder() {
        LoadReport report = LoadRun.execute(spec(Scenario.P2P, 5, 1, false));
        System.out.print(report.table());
        assertEquals(0, report.exitCode(), report.errors().toString());
        assertTrue(report.sent() > 0);
        assertEquals(report.sent(), report.acknowledged());
        assertEquals(report.expected(), report.received());
        assertEquals(0, report.lost());
        assertEquals(0, report.duplicated());
        assertEquals(0, report.outOfOrder());
        assertTrue(report.drained());
        assertEquals(10, report.connected());
        assertTrue(report.latencyMillis().count() > 0);
        assertTrue(report.ackMillis().count() > 0, "acknowledgements timed");
        assertTrue(report.ackMillis().count() <= report.acknowledged(), "only those sent while measuring");
    }

    @Test
    void sharedGroupQos2OverMqtt5GetsEachMessageOnce() {
        LoadReport report = LoadRun.execute(spec(Scenario.SHARED, 4, 2, true));
        System.out.print(report.table());
        assertEquals(0, report.exitCode(), report.errors().toString());
        assertEquals(report.sent(), report.received());
        assertEquals(0, report.lost());
        assertEquals(0, report.duplicated());
        assertTrue(report.ackMillis().count() > 0, "PUBCOMPs timed");
    }

    @Test
    void fanOutQos0AndConnectionRateThroughTheCommandLine(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("fan-out.json");
        int code = new CommandLine(new LoadCommand()).execute("--port", Integer.toString(server.mqttPort()),
                "--scenario", "fan-out", "--clients", "5", "--qos", "0", "--rate", "200", "--duration", "0.7",
                "--warmup", "0", "--json", json.toString());
        assertEquals(0, code);
        JsonNode report = new ObjectMapper().readTree(Files.readString(json));
        assertEquals("fan-out", report.get("scenario").asText());
        assertEquals(5 * report.get("sent").asLong(), report.get("expected").asLong());
        assertTrue(report.get("latencyMillis").get("p99").asDouble() > 0);

        assertEquals(0, new CommandLine(new LoadCommand()).execute("--port", Integer.toString(server.mqttPort()),
                "--scenario", "conn", "--clients", "20", "--connect-rate", "200"));
    }

    @Test
    void persistentSessionsAreMadeBeforeMeasuringAndResumed(@TempDir Path dir) throws Exception {
        // MQTT 3.1.1: Clean Session 0
        Path json = dir.resolve("p2p-persistent.json");
        int code = new CommandLine(new LoadCommand()).execute("--port", Integer.toString(server.mqttPort()),
                "--scenario", "p2p", "--clients", "4", "--qos", "1", "--rate", "200", "--duration", "0.7",
                "--warmup", "0", "--persistent", "--json", json.toString());
        assertEquals(0, code);
        JsonNode report = new ObjectMapper().readTree(Files.readString(json));
        assertEquals("persistent (clean session 0)", report.get("sessions").asText());
        assertEquals(8, report.get("connected").asLong(), "the measured connections only");
        assertTrue(report.get("sent").asLong() > 0);
        assertEquals(report.get("sent").asLong(), report.get("received").asLong());
        assertEquals(0, report.get("lost").asLong());

        // MQTT 5: Clean Start 0 and a Session Expiry Interval, fan-in to one persistent subscriber
        LoadSpec spec = new LoadSpec("anchormq", "127.0.0.1", server.mqttPort(), Scenario.FAN_IN, 5, 1, 1, 64, 200, 16,
                Duration.ZERO, Duration.ofMillis(700), Duration.ofSeconds(5), Duration.ofSeconds(2),
                Duration.ofSeconds(10), 0, 50, true, 30, 2, ClientSecurity.NONE, LoadSpec.Sessions.persistent(600));
        LoadReport fanIn = LoadRun.execute(spec);
        System.out.print(fanIn.table());
        assertEquals(0, fanIn.exitCode(), fanIn.errors().toString());
        assertEquals("persistent (clean start 0, session expiry 600 s)", fanIn.sessions());
        assertEquals(fanIn.sent(), fanIn.received());
        assertEquals(0, fanIn.lost());
    }

    @Test
    void cleanSessionsByDefault() {
        LoadReport report = LoadRun.execute(spec(Scenario.P2P, 2, 1, false));
        assertEquals("clean", report.sessions());
        assertEquals(0, report.exitCode(), report.errors().toString());
    }

    @Test
    void refusesAnythingButLoopbackAndBadOptions() {
        assertEquals(2, new CommandLine(new LoadCommand()).execute("--persistent", "--session-expiry", "0", "--port", "1"));
        assertEquals(2, new CommandLine(new LoadCommand()).execute("--qos", "3", "--port", "1"));
        CommandLine cli = new CommandLine(new LoadCommand());
        assertTrue(cli.execute("--host", "192.0.2.1", "--port", "1883") != 0);
    }
}
