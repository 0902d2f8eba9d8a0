package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The credential-presentation pattern: a verifier's workspace admits anonymous wallets confined to exact topics
 * below a prefix. A wallet that knows a session's random topic reaches the verifier there, and nothing else: no
 * wildcard or shared subscriptions, no retained messages, no will, a short session, a rate of its own that holds it
 * back (and the devices of the workspace not), and the broker logs nothing of it unless the workspace wants its
 * anonymous topics logged. The listener admits no other anonymous clients.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfinedAnonymousTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private BrokerFixture broker;
    private AdminClient admin;

    @BeforeAll
    void start() {
        // as on a public listener: no anonymous clients, but for the workspace that admits confined ones
        broker = BrokerFixture.start("anchormq.listeners.mqtt.anonymous = false");
        admin = AdminClient.of(broker);
        AdminClient.Reply r = admin.call("POST", "/api/v1/workspaces",
                "{\"id\": \"verifier\", \"anonymousTopicPrefix\": \"presentations/\"}");
        assertEquals(201, r.status(), r.body());
        admin.createDevice("verifier", "desk");
        admin.createPassword("verifier", "desk", "verifier-desk", "desk password 1");
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private V5 wallet(MqttConnectionOptions o) throws Exception {
        V5 c = new V5(broker.tcpUri(), unique("wallet"));
        c.connect(o);
        return c;
    }

    private static MqttConnectionOptions walletOptions() {
        MqttConnectionOptions o = V5.options(true, 3600L);
        o.setUserName("verifier"); // the workspace, no password
        return o;
    }

    private V5 desk() throws Exception {
        V5 c = new V5(broker.tcpUri(), unique("desk"));
        c.connect(V5.login("verifier-desk", "desk password 1"));
        return c;
    }

    @Test
    void aWalletReachesTheVerifierOnItsRandomTopicAndNothingElse() throws Exception {
        String session = "presentations/" + unique("s");
        try (V5 desk = desk()) {
            desk.subscribe(session, 1);
            try (V5 probe = new V5(broker.tcpUri(), unique("w"))) {
                IMqttToken connected = probe.client.connect(walletOptions());
                connected.waitForCompletion(5000);
                assertEquals(60L, connected.getResponseProperties().getSessionExpiryInterval(),
                        "the wallet's session expiry is capped");
            }
            try (V5 wallet = wallet(walletOptions())) {
                assertEquals(1, wallet.subscribe(session + "/reply", 1), "an exact topic below the prefix");
                assertEquals(0x87, wallet.subscribe("presentations/#", 1), "no wildcards");
                assertEquals(0x87, wallet.subscribe("presentations/+", 1));
                assertEquals(0x87, wallet.subscribe("$share/g/" + session, 1), "no shared subscriptions");
                assertEquals(0x87, wallet.subscribe("devices/desk", 1), "nothing outside the prefix");
                assertEquals(0x87, wallet.subscribe("$SYS/#", 1));

                assertEquals(0, wallet.publishReason(session, "offer", false));
                assertEquals("offer", desk.next(WAIT).text());
                assertEquals(0x87, wallet.publishReason(session, "offer", true), "no retained messages");
                assertEquals(0x87, wallet.publishReason("devices/desk", "offer", false), "nothing outside the prefix");
                assertNothing(desk.messages, Duration.ofMillis(300), "a refused publish delivered");
            }
        }
    }

    @Test
    void aWalletMayNotLeaveAWillAndOtherAnonymousClientsAreRefused() throws Exception {
        MqttConnectionOptions withWill = walletOptions();
        withWill.setWill("presentations/x", new MqttMessage("gone".getBytes(StandardCharsets.UTF_8)));
        try (V5 c = new V5(broker.tcpUri(), unique("will"))) {
            assertEquals(0x87, assertThrows(MqttException.class, () -> c.connect(withWill)).getReasonCode());
        }
        try (V5 c = new V5(broker.tcpUri(), unique("anon"))) {
            assertEquals(0x87, assertThrows(MqttException.class, () -> c.connect(V5.options(true, 0L)))
                    .getReasonCode(), "no credentials, no workspace: refused on this listener");
        }
    }

    private void patch(String json) {
        AdminClient.Reply r = admin.call("PATCH", "/api/v1/workspaces/verifier", json);
        assertEquals(200, r.status(), r.body());
    }

    /** Publishes {@code n} QoS 1 messages at once; returns the milliseconds until all were acknowledged. */
    private static long burst(V5 c, String topic, int n) throws Exception {
        long t0 = System.nanoTime();
        List<IMqttToken> tokens = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            MqttMessage m = new MqttMessage(("m" + i).getBytes(StandardCharsets.UTF_8));
            m.setQos(1);
            tokens.add(c.client.publish(topic, m));
        }
        for (IMqttToken t : tokens) {
            t.waitForCompletion(20_000);
            int[] codes = t.getReasonCodes();
            assertTrue(codes == null || codes.length == 0 || codes[0] < 0x80, "refused: " + codes[0]);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void aWalletIsHeldToItsOwnRateAndTheDeviceBesideItIsNot() throws Exception {
        patch("{\"anonymousRateQuota\": {\"messagesPerSecond\": 10, \"bytesPerSecond\": 16384}}");
        AdminClient.Reply shown = admin.call("GET", "/api/v1/workspaces/verifier", null);
        assertEquals(10, shown.json().get("anonymousRateQuota").get("messagesPerSecond").asInt(), shown.body());
        LongAdder pauses = broker.server().broker().workspace("verifier").metrics().rateQuotaPauses;
        String session = "presentations/" + unique("rate");
        try (V5 wallet = wallet(walletOptions()); V5 desk = desk()) {
            // 30 messages at 10/s, with a second's worth at once: held back about two seconds, nothing refused
            long walletMillis = burst(wallet, session, 30);
            assertTrue(walletMillis >= 1_500, "the wallet was not held back: " + walletMillis + " ms");
            long pausesBefore = pauses.sum();
            assertTrue(pausesBefore > 0);
            long deskMillis = burst(desk, "desk/readings", 30);
            assertEquals(pausesBefore, pauses.sum(), "the desk was held back by the wallet's rate");
            assertTrue(deskMillis < walletMillis, "desk " + deskMillis + " ms, wallet " + walletMillis + " ms");
            // more than three seconds' worth of bytes in one publish: refused for the wallet, not for the desk
            String big = "x".repeat(64 * 1024);
            assertEquals(0x97, wallet.publishReason(session, big, false));
            assertEquals(0x10, desk.publishReason("desk/big", big, false));
            // changed at once: no rate of its own, and the same publish goes through
            patch("{\"anonymousRateQuota\": {\"messagesPerSecond\": 0, \"bytesPerSecond\": 0}}");
            assertEquals(0x10, wallet.publishReason(session, big, false));
        } finally {
            patch("{\"anonymousRateQuota\": {\"messagesPerSecond\": null, \"bytesPerSecond\": null}}");
        }
    }

    /** The log's entries of a message, once its batch is in (or after the wait, none). */
    private JsonNode logged(String clientId, String topic, String payload, boolean expectSome) throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(payload.getBytes(StandardCharsets.UTF_8)));
        long deadline = System.nanoTime() + WAIT.toNanos();
        AdminClient.Reply r;
        do {
            Thread.sleep(100);
            r = admin.call("GET", "/log/verifier/lookup?clientId=" + clientId + "&topic=" + topic + "&payloadSha256="
                    + sha, null);
            assertEquals(200, r.status(), r.body());
        } while (expectSome && r.json().get("indexes").isEmpty() && System.nanoTime() < deadline);
        return r.json().get("indexes");
    }

    @Test
    void aWorkspaceMayHaveItsAnonymousTopicsLogged() throws Exception {
        String session = "presentations/" + unique("logged");
        String clientId = unique("logged-wallet");
        String deskId = unique("barrier-desk");
        try (V5 wallet = new V5(broker.tcpUri(), clientId); V5 desk = new V5(broker.tcpUri(), deskId)) {
            wallet.connect(walletOptions());
            desk.connect(V5.login("verifier-desk", "desk password 1"));
            patch("{\"logAnonymousTopics\": true}");
            assertTrue(admin.call("GET", "/api/v1/workspaces/verifier", null).json().get("logAnonymousTopics")
                    .asBoolean());
            assertEquals(0x10, wallet.publishReason(session, "kept", false));
            assertEquals(1, logged(clientId, session, "kept", true).size(), "logged while the workspace wants it");

            patch("{\"logAnonymousTopics\": false}");
            assertEquals(0x10, wallet.publishReason(session, "not kept", false));
            // the desk's message after it is logged: the wallet's would be in by then
            assertEquals(0x10, desk.publishReason("desk/status", "after", false));
            assertEquals(1, logged(deskId, "desk/status", "after", true).size());
            assertEquals(0, logged(clientId, session, "not kept", false).size(), "logged after it was switched off");
        } finally {
            patch("{\"logAnonymousTopics\": false}");
        }
    }

    @Test
    void theBrokerLogsNothingOfAPresentation() throws Exception {
        String session = "presentations/" + unique("log");
        String clientId = unique("logged-wallet");
        try (V5 w = new V5(broker.tcpUri(), clientId)) {
            w.connect(walletOptions());
            assertEquals(0x10, w.publishReason(session, "offer", false));
        }
        String deskId = unique("logged-desk");
        try (V5 d = new V5(broker.tcpUri(), deskId)) {
            d.connect(V5.login("verifier-desk", "desk password 1"));
            assertEquals(0x10, d.publishReason("desk/status", "offer", false)); // logged, for comparison
        }
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("offer".getBytes(StandardCharsets.UTF_8)));
        long deadline = System.nanoTime() + WAIT.toNanos();
        AdminClient.Reply desk;
        do {
            Thread.sleep(100);
            desk = admin.call("GET", "/log/verifier/lookup?clientId=" + deskId + "&topic=desk/status&payloadSha256="
                    + sha, null);
        } while (desk.json().get("indexes").isEmpty() && System.nanoTime() < deadline);
        assertEquals(1, desk.json().get("indexes").size(), desk.body());
        AdminClient.Reply wallet = admin.call("GET", "/log/verifier/lookup?clientId=" + clientId + "&topic="
                + session + "&payloadSha256=" + sha, null);
        assertEquals(0, wallet.json().get("indexes").size(), wallet.body());
    }
}
