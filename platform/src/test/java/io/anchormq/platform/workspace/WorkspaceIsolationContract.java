package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import io.anchormq.platform.testsupport.PahoTestClients.V5Msg;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two workspaces with the same client ids, topics and device names: every way for a client or a key of one to
 * reach the other is tried and must fail (wildcards, shared subscriptions, retained messages, wills, presence and
 * {@code $SYS}, the integrity log's API, the admin API). Runs on the embedded store and on PostgreSQL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WorkspaceIsolationContract {

    private static final Duration QUIET = Duration.ofMillis(700);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private BrokerFixture broker;
    private AdminClient admin;
    private String alphaReadKey;
    private String betaAdminKey;

    /** HOCON that points the broker at the store under test (empty: the embedded default). */
    abstract String storeConfig();

    @BeforeAll
    void start() {
        broker = BrokerFixture.start(storeConfig());
        admin = AdminClient.of(broker);
        for (String ws : new String[] {"alpha", "beta"}) {
            admin.createWorkspace(ws, false);
            admin.createDevice(ws, "d1");
            admin.createPassword(ws, "d1", ws + "-d1", ws + "-password-1");
        }
        alphaReadKey = admin.workspaceKey("alpha", "workspace-read");
        betaAdminKey = admin.workspaceKey("beta", "workspace-admin");
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private V5 client(String workspace, String clientId) throws Exception {
        V5 c = new V5(broker.tcpUri(), clientId);
        MqttConnectionOptions o = V5.options(true, 0L);
        o.setUserName(workspace + "-d1");
        o.setPassword((workspace + "-password-1").getBytes(StandardCharsets.UTF_8));
        c.connect(o);
        return c;
    }

    @Test
    void sameClientIdAndTopicDoNotMeetAcrossWorkspaces() throws Exception {
        String id = unique("same");
        try (V5 alpha = client("alpha", id); V5 beta = client("beta", id)) {
            alpha.subscribe("#", 1);
            alpha.subscribe("$share/g/#", 1);
            beta.subscribe("plant/line1", 1);
            beta.publish("plant/line1", "from beta", 1, false);
            assertEquals("from beta", beta.next(WAIT).text());
            assertNothing(alpha.messages, QUIET, "beta's message in alpha (#, $share)");
            // one client id in two workspaces is two sessions: neither took the other over
            assertTrue(alpha.client.isConnected() && beta.client.isConnected(), "both still connected");
            assertTrue(alpha.disconnects.isEmpty(), "alpha was not disconnected");
            alpha.publish("plant/line1", "from alpha", 1, false);
            assertNothing(beta.messages, QUIET, "alpha's message in beta");
        }
    }

    @Test
    void retainedMessagesStayInTheirWorkspace() throws Exception {
        String topic = "status/" + unique("r");
        try (V5 beta = client("beta", unique("rb"))) {
            beta.publish(topic, "beta retained", 1, true);
        }
        try (V5 alpha = client("alpha", unique("ra")); V5 beta2 = client("beta", unique("rb2"))) {
            alpha.subscribe("status/#", 1);
            alpha.subscribe("#", 0);
            assertNothing(alpha.messages, QUIET, "beta's retained message in alpha");
            beta2.subscribe(topic, 1);
            V5Msg m = beta2.next(WAIT);
            assertEquals("beta retained", m.text());
            assertTrue(m.message().isRetained());
        }
    }

    @Test
    void willsAreDeliveredOnlyInTheirWorkspace() throws Exception {
        String lwt = "lwt/" + unique("w");
        try (V5 alpha = client("alpha", unique("wa")); V5 betaWatcher = client("beta", unique("wb"))) {
            alpha.subscribe("lwt/#", 1);
            betaWatcher.subscribe("lwt/#", 1);
            V3 dying = new V3(broker.tcpUri(), unique("dying"));
            org.eclipse.paho.client.mqttv3.MqttConnectOptions o = new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
            o.setUserName("beta-d1");
            o.setPassword("beta-password-1".toCharArray());
            o.setWill(lwt, "gone".getBytes(StandardCharsets.UTF_8), 1, false);
            o.setKeepAliveInterval(30);
            dying.client.connect(o).waitForCompletion(5000);
            dying.client.disconnectForcibly(0, 0, false); // no DISCONNECT: the will is published
            assertEquals("gone", betaWatcher.next(WAIT).text());
            assertNothing(alpha.messages, QUIET, "beta's will in alpha");
            dying.client.close(true);
        }
    }

    @Test
    void presenceAndSysTopicsShowOnlyTheirOwnWorkspace() throws Exception {
        String betaOnly = unique("only-in-beta");
        try (V5 alpha = client("alpha", unique("sys"))) {
            alpha.subscribe("$SYS/#", 0);
            alpha.subscribe("$share/g/$SYS/#", 0);
            try (V5 beta = client("beta", betaOnly)) {
                beta.publish("x/y", "hello", 1, false);
                long end = System.nanoTime() + QUIET.toNanos() * 2;
                while (System.nanoTime() < end) {
                    V5Msg m = alpha.messages.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (m != null) {
                        assertFalse(m.topic().contains(betaOnly) || m.text().contains(betaOnly),
                                "alpha saw beta's client in " + m);
                    }
                }
            }
        }
    }

    @Test
    void eachWorkspaceHasItsOwnLogAndOnlyItsKeysReadIt() throws Exception {
        String clientId = unique("logged");
        String payload = unique("reading");
        try (V5 alpha = client("alpha", clientId)) {
            alpha.publish("meter/1", payload, 1, false);
        }
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(payload.getBytes(StandardCharsets.UTF_8)));
        String lookup = "/lookup?clientId=" + clientId + "&topic=meter/1&payloadSha256=" + sha;
        // alpha's log is not public: no key, or beta's key, sees nothing, as if it did not exist
        assertEquals(404, admin.call("GET", "/log/alpha/checkpoint", null, null).status());
        assertEquals(404, admin.call("GET", "/log/alpha/checkpoint", null, betaAdminKey).status());
        assertEquals(404, admin.call("GET", "/log/alpha" + lookup, null, betaAdminKey).status());
        long deadline = System.nanoTime() + WAIT.toNanos();
        AdminClient.Reply found;
        do {
            found = admin.call("GET", "/log/alpha" + lookup, null, alphaReadKey);
        } while ((found.status() != 200 || found.json().get("indexes").isEmpty()) && System.nanoTime() < deadline
                && sleep(50));
        assertEquals(200, found.status(), found.body());
        assertTrue(admin.call("GET", "/log/alpha/checkpoint", null, alphaReadKey).body()
                .startsWith("anchormq.local/log/alpha\n"), "alpha's log has alpha's origin");
        assertEquals(1, found.json().get("indexes").size(), found.body());
        // beta's own log never saw it
        AdminClient.Reply inBeta = admin.call("GET", "/log/beta" + lookup, null, betaAdminKey);
        assertEquals(200, inBeta.status(), inBeta.body());
        assertEquals(0, inBeta.json().get("indexes").size(), inBeta.body());
        // the default workspace's log is public, as before workspaces
        assertEquals(200, admin.call("GET", "/log/default/checkpoint", null, null).status());
    }

    @Test
    void aWorkspaceKeySeesNothingOfAnotherWorkspace() {
        AdminClient.Reply list = admin.call("GET", "/api/v1/workspaces", null, betaAdminKey);
        assertEquals(200, list.status());
        assertEquals(1, list.json().size(), list.body());
        assertEquals("beta", list.json().get(0).get("id").asText());
        for (String path : new String[] {"/api/v1/workspaces/alpha", "/api/v1/workspaces/alpha/devices",
                "/api/v1/workspaces/alpha/devices/d1", "/api/v1/workspaces/alpha/devices/d1/credentials",
                "/api/v1/workspaces/alpha/api-keys", "/api/v1/workspaces/no-such-workspace"}) {
            AdminClient.Reply r = admin.call("GET", path, null, betaAdminKey);
            assertEquals(404, r.status(), path + ": " + r.body());
        }
        assertEquals(404, admin.call("POST", "/api/v1/workspaces/alpha/devices", "{\"id\":\"intruder\"}",
                betaAdminKey).status());
        assertEquals(404, admin.call("DELETE", "/api/v1/workspaces/alpha/devices/d1", null, betaAdminKey).status());
        assertEquals(403, admin.call("GET", "/api/v1/api-keys", null, betaAdminKey).status());
        assertEquals(403, admin.call("POST", "/api/v1/workspaces", "{\"id\":\"gamma\"}", betaAdminKey).status());
        // and alpha's device is still there
        assertEquals(200, admin.call("GET", "/api/v1/workspaces/alpha/devices/d1", null).status());
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }
}
