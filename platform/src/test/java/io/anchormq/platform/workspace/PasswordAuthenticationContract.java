package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.take;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.anchormq.broker.Broker;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * User name and password authentication against the store, through real clients: the right password puts the
 * client into its device's workspace, a wrong one is refused with the right code in both MQTT versions, rotation
 * keeps two passwords valid, revoking one disconnects at once the clients that used it, and the refusals are counted
 * in the metrics of the workspace whose user name failed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PasswordAuthenticationContract {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private BrokerFixture broker;
    private AdminClient admin;

    abstract String storeConfig();

    @BeforeAll
    void start() {
        // small penalties, so that the failures of one test do not slow the others down much
        broker = BrokerFixture.start(storeConfig()
                + "\nanchormq.auth { failure-delay = 100ms, max-failure-delay = 400ms }"
                + "\nanchormq.metrics.interval = 200ms");
        admin = AdminClient.of(broker);
        admin.createWorkspace("acme", false);
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private static MqttConnectionOptions v5Options(String username, String password) {
        MqttConnectionOptions o = V5.options(true, 0L);
        o.setUserName(username);
        o.setPassword(password == null ? null : password.getBytes(StandardCharsets.UTF_8));
        return o;
    }

    private V5 connected(String username, String password) throws Exception {
        V5 c = new V5(broker.tcpUri(), unique("c"));
        c.connect(v5Options(username, password));
        return c;
    }

    private int v5Refusal(String username, String password) throws Exception {
        try (V5 c = new V5(broker.tcpUri(), unique("refused"))) {
            MqttException e = assertThrows(MqttException.class, () -> c.connect(v5Options(username, password)));
            return e.getReasonCode();
        }
    }

    private int v3Refusal(String username, String password) throws Exception {
        try (V3 c = new V3(broker.tcpUri(), unique("refused3"))) {
            MqttConnectOptions o = new MqttConnectOptions();
            o.setUserName(username);
            o.setPassword(password.toCharArray());
            o.setConnectionTimeout(5);
            // Paho's default would try again with 3.1 after the refusal: one attempt
            o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            org.eclipse.paho.client.mqttv3.MqttException e = assertThrows(
                    org.eclipse.paho.client.mqttv3.MqttException.class,
                    () -> c.client.connect(o).waitForCompletion(5000));
            return e.getReasonCode();
        }
    }

    @Test
    void theRightPasswordPutsTheClientIntoItsDevicesWorkspace() throws Exception {
        String device = unique("meter");
        admin.createDevice("acme", device);
        admin.createPassword("acme", device, device, "correct horse battery");
        try (V5 acme = connected(device, "correct horse battery");
             V5 acmeWatcher = connected(device, "correct horse battery");
             V5 anonymous = new V5(broker.tcpUri(), unique("anon"))) {
            anonymous.connect(true, 0L); // the loopback listener admits anonymous clients, into the default workspace
            anonymous.subscribe("readings/#", 1);
            acmeWatcher.subscribe("readings/#", 1);
            acme.publish("readings/1", "42", 1, false);
            assertEquals("42", acmeWatcher.next(WAIT).text());
            assertNothing(anonymous.messages, Duration.ofMillis(500), "acme's reading in the default workspace");
        }
    }

    @Test
    void aWrongPasswordIsRefusedWithTheCodeOfEachVersion() throws Exception {
        String device = unique("valve");
        admin.createDevice("acme", device);
        admin.createPassword("acme", device, device, "the right password");
        try (V5 ok = connected(device, "the right password")) {
            assertTrue(ok.client.isConnected());
        }
        // verified once, the right password is remembered: the wrong one must still fail
        assertEquals(0x86, v5Refusal(device, "not the password"));
        assertEquals(0x86, v5Refusal(device, null));
        assertEquals(4, v3Refusal(device, "not the password")); // 3.1.1: bad user name or password
    }

    @Test
    void rotationKeepsBothPasswordsValidAndRevocationDisconnectsAtOnce() throws Exception {
        String device = unique("gateway");
        admin.createDevice("acme", device);
        String oldCredential = admin.createPassword("acme", device, device, "old password 2026");
        admin.createPassword("acme", device, device, "new password 2027");
        try (V5 onOld = connected(device, "old password 2026"); V5 onNew = connected(device, "new password 2027")) {
            admin.revokeCredential("acme", device, oldCredential);
            MqttDisconnectResponse d = take(onOld.disconnects, WAIT, "the DISCONNECT of the revoked credential");
            assertEquals(0x87, d.getReturnCode(), "not authorized");
            assertNothing(onNew.disconnects, Duration.ofMillis(300), "a disconnect of the other credential");
            assertTrue(onNew.client.isConnected(), "the new credential's client stays");
        }
        assertEquals(0x86, v5Refusal(device, "old password 2026"));
        try (V5 again = connected(device, "new password 2027")) {
            assertTrue(again.client.isConnected());
        }
    }

    @Test
    void deletingADeviceDisconnectsItsClients() throws Exception {
        String device = unique("pump");
        admin.createDevice("acme", device);
        admin.createPassword("acme", device, device, "pump password 1");
        try (V5 c = connected(device, "pump password 1")) {
            assertEquals(204, admin.call("DELETE", "/api/v1/workspaces/acme/devices/" + device, null).status());
            assertEquals(0x87, take(c.disconnects, WAIT, "DISCONNECT").getReturnCode());
        }
        // its user name is unknown now: on this loopback listener that is an anonymous client of the default
        // workspace (as in Mosquitto with allow_anonymous), which sees nothing of acme
        String other = unique("other");
        admin.createDevice("acme", other);
        admin.createPassword("acme", other, other, "other password 1");
        try (V5 inAcme = connected(other, "other password 1"); V5 former = connected(device, "pump password 1")) {
            inAcme.subscribe("pump/#", 1);
            former.publish("pump/1", "from the deleted device", 1, false);
            assertNothing(inAcme.messages, Duration.ofMillis(500), "the deleted device's message in acme");
        }
    }

    /** The workspace's metrics as the client receives them, once {@code done} holds for them (or after a while). */
    private static JsonNode metricsOnceThey(V5 watcher, java.util.function.Predicate<JsonNode> done)
            throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode m;
        do {
            m = JSON.readTree(take(watcher.messages, WAIT, "the metrics").text());
        } while (!done.test(m) && System.nanoTime() < deadline);
        return m;
    }

    @Test
    void refusedPasswordsAreCountedInTheirWorkspacesMetrics() throws Exception {
        admin.createWorkspace("counted", false);
        admin.createDevice("counted", "d");
        admin.createPassword("counted", "d", "counted-d", "counted password 1");
        int wrong = 3;
        long listenerBefore = broker.server().broker().listenerMetrics().refusals.byReason()
                .get("badUserNameOrPassword");
        // connected first: a success clears the address's count of failures
        try (V5 watcher = connected("counted-d", "counted password 1")) {
            watcher.subscribe(Broker.METRICS_TOPIC, 0);
            for (int i = 0; i < wrong; i++) {
                assertEquals(0x86, v5Refusal("counted-d", "wrong " + i));
            }
            assertEquals(4, v3Refusal("counted-d", "wrong in 3.1.1"));
            JsonNode m = metricsOnceThey(watcher,
                    j -> j.get("connectionsRefusedBy").get("badUserNameOrPassword").asLong() >= wrong + 1);
            assertEquals(wrong + 1, m.get("connectionsRefusedBy").get("badUserNameOrPassword").asLong(), m.toString());
            assertEquals(0, m.get("connectionsRefusedBy").get("notAuthorized").asLong(), m.toString());
            assertEquals(wrong + 1, m.get("connectionsRefused").asLong(), m.toString());
            // the first failure after the success was answered at once, the others after their penalty
            assertEquals(wrong, m.get("connectionsRefusedAfterPenalty").asLong(), m.toString());
        }
        // the listeners count every refusal, by listener
        Broker core = broker.server().broker();
        assertEquals(listenerBefore + wrong + 1,
                core.listenerMetrics().refusals.byReason().get("badUserNameOrPassword"));
        assertTrue(core.listenerMetrics().refusals.byListener().get("mqtt").get("badUserNameOrPassword") >= wrong + 1);
        // nobody failed with a credential of the default workspace
        assertEquals(0, core.metrics().refusals.byReason().get("badUserNameOrPassword"));
    }

    @Test
    void repeatedFailuresFromOneAddressAreAnsweredLater() throws Exception {
        String device = unique("target");
        admin.createDevice("acme", device);
        admin.createPassword("acme", device, device, "guess me if you can");
        long slowest = 0;
        for (int i = 0; i < 4; i++) {
            long t0 = System.nanoTime();
            assertEquals(0x86, v5Refusal(device, "guess " + i));
            slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
        }
        // the penalty doubles from 100 ms up to 400 ms: the fourth failure in a row waited at least 200 ms
        assertTrue(slowest >= 200, "failures were not slowed down: slowest " + slowest + " ms");
        // and the right password still gets in (the penalty slows failures, it does not lock the device out)
        try (V5 c = connected(device, "guess me if you can")) {
            assertTrue(c.client.isConnected());
        }
    }
}
