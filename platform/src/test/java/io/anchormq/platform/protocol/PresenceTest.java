package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients;
import io.anchormq.platform.testsupport.RawMqttClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Presence as devices see it over MQTT (Paho 5): retained JSON per client on {@code $SYS/anchormq/presence/<id>},
 * online / offline with the reason and a session version that rises with every connection, and the bound on how
 * many offline clients are remembered.
 */
@Timeout(60)
class PresenceTest {

    private static final String PREFIX = "$SYS/anchormq/presence/";
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aClientIsOnlineThenOfflineWithItsReasonAndEachConnectionHasAHigherSessionVersion() throws Exception {
        try (BrokerFixture broker = BrokerFixture.start();
             PahoTestClients.V5 watcher = new PahoTestClients.V5(broker.tcpUri(), unique("watcher"))) {
            String device = unique("device");
            watcher.connect(true, 0L);
            watcher.subscribe(PREFIX + device, 1);

            try (PahoTestClients.V5 d = new PahoTestClients.V5(broker.tcpUri(), device)) {
                d.connect(true, 0L);
                JsonNode online = next(watcher);
                assertEquals(device, online.get("clientId").asText());
                assertTrue(online.get("online").asBoolean(), online.toString());
                assertEquals("5.0", online.get("protocol").asText());
                long first = online.get("sessionVersion").asLong();

                d.disconnect();
                JsonNode gone = next(watcher);
                assertFalse(gone.get("online").asBoolean(), gone.toString());
                assertEquals("client disconnected", gone.get("reason").asText());
                assertFalse(Instant.parse(gone.get("since").asText())
                        .isBefore(Instant.parse(online.get("since").asText())), gone.toString());

                d.connect(true, 0L);
                JsonNode again = next(watcher);
                assertTrue(again.get("online").asBoolean(), again.toString());
                assertTrue(again.get("sessionVersion").asLong() > first, first + " then " + again);
            }
            assertFalse(next(watcher).get("online").asBoolean());

            // a socket that just drops: offline, with a reason that says so
            RawMqttClient raw = RawMqttClient.open(broker.port());
            String dropper = unique("dropper");
            watcher.subscribe(PREFIX + dropper, 1);
            raw.connect311(dropper);
            JsonNode up = next(watcher);
            assertTrue(up.get("online").asBoolean(), up.toString());
            assertEquals("3.1.1", up.get("protocol").asText());
            raw.socket().setSoLinger(true, 0); // a reset, not a DISCONNECT
            raw.close();
            JsonNode lost = next(watcher);
            assertFalse(lost.get("online").asBoolean(), lost.toString());
            assertFalse(lost.get("reason").asText().equals("client disconnected"), lost.toString());

            // a late subscriber gets the retained presence
            try (PahoTestClients.V5 late = new PahoTestClients.V5(broker.tcpUri(), unique("late"))) {
                late.connect(true, 0L);
                late.subscribe(PREFIX + device, 1);
                PahoTestClients.V5Msg retained = late.next(WAIT);
                assertTrue(retained.message().isRetained());
                assertFalse(JSON.readTree(retained.message().getPayload()).get("online").asBoolean());
            }
        }
    }

    @Test
    void pastTheLimitTheClientOfflineLongestIsForgottenAndCounted() throws Exception {
        try (BrokerFixture broker = BrokerFixture.start("""
                anchormq.presence.max-offline-clients = 3
                anchormq.metrics.interval = 100ms
                """);
             // these three stay online throughout: only offline clients count against the limit
             PahoTestClients.V5 watcher = new PahoTestClients.V5(broker.tcpUri(), unique("watcher"));
             PahoTestClients.V5 reader = new PahoTestClients.V5(broker.tcpUri(), unique("reader"));
             PahoTestClients.V5 metrics = new PahoTestClients.V5(broker.tcpUri(), unique("metrics"))) {
            watcher.connect(true, 0L);
            reader.connect(true, 0L);
            metrics.connect(true, 0L);
            String run = unique("fleet");
            String filter = PREFIX + run + "/+";
            watcher.subscribe(filter, 1);
            List<String> devices = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String device = run + "/d" + i;
                devices.add(device);
                try (PahoTestClients.V5 d = new PahoTestClients.V5(broker.tcpUri(), device)) {
                    d.connect(true, 0L);
                    assertTrue(next(watcher).get("online").asBoolean());
                }
                assertFalse(next(watcher).get("online").asBoolean()); // offline, in this order
            }

            assertEquals(Set.of(devices.get(2), devices.get(3), devices.get(4)), retainedPresence(reader, filter),
                    "the three offline newest are remembered, the two offline longest forgotten");
            metrics.subscribe("$SYS/anchormq/metrics", 0);
            metrics.next(WAIT); // the retained one may predate the last forgetting: take a fresh one
            assertEquals(2, JSON.readTree(metrics.next(WAIT).message().getPayload()).get("presenceForgotten").asLong());

            // a forgotten client that comes back is known again
            try (PahoTestClients.V5 d = new PahoTestClients.V5(broker.tcpUri(), devices.get(0))) {
                d.connect(true, 0L);
                assertTrue(next(watcher).get("online").asBoolean());
                assertEquals(Set.of(devices.get(0), devices.get(2), devices.get(3), devices.get(4)),
                        retainedPresence(reader, filter));
            }
        }
    }

    private static JsonNode next(PahoTestClients.V5 watcher) throws Exception {
        return JSON.readTree(watcher.next(WAIT).message().getPayload());
    }

    /** The client ids of the retained presence messages under a filter, as (re)subscribing delivers them. */
    private static Set<String> retainedPresence(PahoTestClients.V5 reader, String filter) throws Exception {
        reader.messages.clear();
        reader.subscribe(filter, 1);
        Set<String> out = new HashSet<>();
        PahoTestClients.V5Msg m;
        while ((m = reader.messages.poll(500, TimeUnit.MILLISECONDS)) != null) {
            if (m.message().isRetained()) {
                out.add(JSON.readTree(m.message().getPayload()).get("clientId").asText());
            }
        }
        return out;
    }
}
