package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A workspace's ACL through real clients: rules per device, per group and with substitutions decide PUBLISH and
 * SUBSCRIBE (5.0 reason 0x87 when refused), and a change applies to live sessions at once: a subscription the new
 * rules no longer allow stops receiving without the client reconnecting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AclTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(500);
    /** PUBACK 0x10: accepted, no matching subscribers. */
    private static final int NO_SUBSCRIBERS = 0x10;

    private BrokerFixture broker;
    private AdminClient admin;

    @BeforeAll
    void start() {
        broker = BrokerFixture.start();
        admin = AdminClient.of(broker);
        admin.createWorkspace("plant", false);
        assertEquals(201, admin.call("POST", "/api/v1/workspaces/plant/devices",
                "{\"id\": \"sensor-1\", \"groups\": [\"sensors\"]}").status());
        admin.createDevice("plant", "display-1");
        admin.createPassword("plant", "sensor-1", "sensor-1", "sensor password 1");
        admin.createPassword("plant", "display-1", "display-1", "display password 1");
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private V5 as(String device, String clientId) throws Exception {
        V5 c = new V5(broker.tcpUri(), clientId);
        c.connect(V5.login(device, device.startsWith("sensor") ? "sensor password 1" : "display password 1"));
        return c;
    }

    private void rules(String json) {
        AdminClient.Reply r = admin.call("PUT", "/api/v1/workspaces/plant/acl", "{\"rules\": " + json + "}");
        assertEquals(200, r.status(), r.body());
    }

    @Test
    void rulesDecidePublishAndSubscribeAndChangesApplyToLiveSessions() throws Exception {
        rules("""
                [{"subjectKind": "group", "subject": "sensors", "action": "publish", "topic": "plant/%d/#", "permission": "allow"},
                 {"subjectKind": "device", "subject": "display-1", "action": "subscribe", "topic": "plant/#", "permission": "allow"}]""");
        try (V5 sensor = as("sensor-1", unique("s")); V5 display = as("display-1", unique("d"))) {
            assertEquals(1, display.subscribe("plant/+/temp", 1), "covered by plant/#: granted QoS 1");
            assertEquals(0x87, display.subscribe("other/#", 1), "no rule allows it");
            assertEquals(0x87, sensor.subscribe("plant/#", 1), "sensors may only publish");

            assertEquals(0, sensor.publishReason("plant/sensor-1/temp", "v", false));
            assertEquals("v", display.next(WAIT).text());
            assertEquals(0x87, sensor.publishReason("plant/sensor-2/temp", "v", false), "%d is the device's own id only");
            assertEquals(0x87, display.publishReason("plant/display-1/temp", "v", false), "display-1 is not in the group");
            assertNothing(display.messages, QUIET, "a refused publish delivered");

            // the display may now subscribe only to its own branch: its live plant/+/temp subscription goes at once
            rules("""
                    [{"subjectKind": "group", "subject": "sensors", "action": "publish", "topic": "plant/%d/#", "permission": "allow"},
                     {"subjectKind": "device", "subject": "display-1", "action": "subscribe", "topic": "plant/display-1/#", "permission": "allow"}]""");
            assertEquals(NO_SUBSCRIBERS, sensor.publishReason("plant/sensor-1/temp", "v", false), "the subscription is gone");
            assertNothing(display.messages, QUIET, "delivery on a subscription the new rules removed");
            assertEquals(0x87, display.subscribe("plant/+/temp", 1));
            assertEquals(1, display.subscribe("plant/display-1/#", 1));
        }
    }

    @Test
    void groupMembershipChangesApplyAtOnce() throws Exception {
        rules("""
                [{"subjectKind": "group", "subject": "writers", "action": "publish", "topic": "board/#", "permission": "allow"},
                 {"subjectKind": "any", "action": "subscribe", "topic": "board/#", "permission": "allow"}]""");
        try (V5 display = as("display-1", unique("g"))) {
            assertEquals(0x87, display.publishReason("board/1", "v", false));
            assertEquals(200, admin.call("PATCH", "/api/v1/workspaces/plant/devices/display-1",
                    "{\"groups\": [\"writers\"]}").status());
            assertEquals(NO_SUBSCRIBERS, display.publishReason("board/1", "v", false), "accepted, nobody subscribed");
            assertEquals(200, admin.call("PATCH", "/api/v1/workspaces/plant/devices/display-1",
                    "{\"groups\": []}").status());
            assertEquals(0x87, display.publishReason("board/1", "v", false));
        }
    }

    @Test
    void aClientIdCannotWidenASubstitutedRule() throws Exception {
        rules("""
                [{"subjectKind": "any", "action": "all", "topic": "inbox/%c/#", "permission": "allow"}]""");
        try (V5 honest = as("display-1", "display-box")) {
            assertEquals(1, honest.subscribe("inbox/display-box/#", 1));
            assertEquals(0x87, honest.subscribe("inbox/someone-else/#", 1));
        }
        // a client id with a wildcard would turn the rule into inbox/+/# : the rule does not apply to it at all
        try (V5 sly = as("display-1", "+")) {
            assertEquals(0x87, sly.subscribe("inbox/+/#", 1));
            assertEquals(0x87, sly.publishReason("inbox/x/y", "v", false));
        }
    }

    @Test
    void badRulesAreRefusedNamingTheField() {
        AdminClient.Reply r = admin.call("PUT", "/api/v1/workspaces/plant/acl",
                "{\"rules\": [{\"subjectKind\": \"device\", \"action\": \"publish\", \"topic\": \"a\", \"permission\": \"allow\"}]}");
        assertEquals(400, r.status(), r.body());
        assertEquals("rules[0].subject", r.field());
        r = admin.call("POST", "/api/v1/workspaces/plant/acl",
                "{\"subjectKind\": \"any\", \"action\": \"publish\", \"topic\": \"a/#/b\", \"permission\": \"allow\"}");
        assertEquals(400, r.status(), r.body());
        assertEquals("topic", r.field());
        r = admin.call("POST", "/api/v1/workspaces/plant/acl",
                "{\"subjectKind\": \"any\", \"action\": \"write\", \"topic\": \"a\", \"permission\": \"allow\"}");
        assertEquals("action", r.field());
    }
}
