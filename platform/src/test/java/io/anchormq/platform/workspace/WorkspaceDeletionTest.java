package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.take;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.broker.Broker;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.BrokerMemory;
import io.anchormq.platform.testsupport.LogHttp;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Deleting a workspace releases everything the broker held for it: the sessions of its disconnected clients (with
 * their subscriptions and queued messages), those of its connected clients, its session directory and presence
 * tracker, and with them its router, retained messages and counters. A workspace made again with the same id starts
 * empty and works as any other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkspaceDeletionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int PERSISTENT = 5;
    private BrokerFixture broker;
    private AdminClient admin;

    @BeforeAll
    void start() {
        broker = BrokerFixture.start();
        admin = AdminClient.of(broker);
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private void createWorkspace(String id) {
        admin.createWorkspace(id, false);
        admin.createDevice(id, "d");
        admin.createPassword(id, "d", id + "-d", id + " password 1");
    }

    private V5 connect(String workspace, String clientId, boolean cleanStart, long sessionExpiry,
                       boolean sessionPresent) throws Exception {
        V5 c = new V5(broker.tcpUri(), clientId);
        MqttConnectionOptions o = V5.options(cleanStart, sessionExpiry);
        o.setUserName(workspace + "-d");
        o.setPassword((workspace + " password 1").getBytes(StandardCharsets.UTF_8));
        assertEquals(sessionPresent, c.connect(o).getSessionPresent(), "session present for " + clientId);
        return c;
    }

    /** Waits until {@code figure} is {@code expected} (actors start and stop asynchronously). */
    private static void await(String what, int expected, IntSupplier figure) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (figure.getAsInt() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(expected, figure.getAsInt(), what);
    }

    /** The figure once it has not changed for a while (a new workspace's actors start asynchronously). */
    private static int settled(IntSupplier figure) throws InterruptedException {
        int last = figure.getAsInt();
        for (int i = 0; i < 100; i++) {
            Thread.sleep(100);
            int now = figure.getAsInt();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static int liveInstances(Class<?> type) {
        try {
            return (int) BrokerMemory.liveInstances(type.getName());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void deletingAWorkspaceStopsItsActorsAndItsStateGoes() throws Exception {
        Broker core = broker.server().broker();
        int before = settled(core::liveActors);
        int workspacesBefore = liveInstances(io.anchormq.broker.Workspace.class);
        String ws = "transient";
        createWorkspace(ws);
        int withWorkspace = settled(core::liveActors);
        assertTrue(withWorkspace > before, "a workspace runs actors: " + before + " -> " + withWorkspace);

        // persistent sessions that outlive their connections, each subscribed, with messages queued for it
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < PERSISTENT; i++) {
            String id = unique("persistent");
            ids.add(id);
            try (V5 c = connect(ws, id, false, 3600, false)) {
                assertEquals(1, c.subscribe("queue/" + i, 1));
                c.disconnect();
            }
        }
        V5 online = connect(ws, unique("online"), false, 3600, false);
        assertEquals(1, online.subscribe("queue/#", 1));
        for (int i = 0; i < PERSISTENT; i++) {
            assertEquals(0, online.publishReason("queue/" + i, "queued " + i, true));
        }
        assertEquals(PERSISTENT, online.next(PERSISTENT, WAIT).size());
        assertEquals(PERSISTENT + 1, core.workspace(ws).sessionCount());
        await("one actor per session", withWorkspace + PERSISTENT + 1, core::liveActors);
        int sessionActors = liveInstances(io.anchormq.broker.session.SessionActor.class);

        assertEquals(204, admin.call("DELETE", "/api/v1/workspaces/" + ws, null).status());
        assertEquals(0x87, take(online.disconnects, WAIT, "the DISCONNECT of the deleted workspace").getReturnCode());
        online.close();
        await("the workspace's actors stopped, sessions and all", before, core::liveActors);
        // nothing holds its structures any more: the workspace and its session actors are garbage
        await("workspaces in memory", workspacesBefore, () -> liveInstances(io.anchormq.broker.Workspace.class));
        await("session actors in memory", sessionActors - PERSISTENT - 1,
                () -> liveInstances(io.anchormq.broker.session.SessionActor.class));

        // made again with the same id: empty, and working
        createWorkspace(ws);
        await("the new workspace runs what the first did, no more", withWorkspace, core::liveActors);
        try (V5 back = connect(ws, ids.get(0), false, 3600, false)) {
            assertNothing(back.messages, Duration.ofMillis(500), "a message queued in the deleted workspace");
            try (V5 subscriber = connect(ws, unique("sub"), true, 0, false)) {
                assertEquals(1, subscriber.subscribe("queue/#", 1));
                assertNothing(subscriber.messages, Duration.ofMillis(300), "a retained message of the deleted one");
                String payload = unique("after");
                assertEquals(0, back.publishReason("queue/0", payload, false));
                assertEquals(payload, subscriber.next(WAIT).text());
                assertFalse(back.messages.stream().anyMatch(m -> m.text().startsWith("queued")));
                // and its log takes its messages again
                String lookup = "/log/" + ws + "/lookup?" + LogHttp.messageQuery(ids.get(0), "queue/0",
                        payload.getBytes(StandardCharsets.UTF_8));
                long deadline = System.nanoTime() + WAIT.toNanos();
                AdminClient.Reply found;
                do {
                    Thread.sleep(50);
                    found = admin.call("GET", lookup, null);
                } while ((found.status() != 200 || found.json().get("indexes").isEmpty())
                        && System.nanoTime() < deadline);
                assertEquals(200, found.status(), found.body());
                assertEquals(1, found.json().get("indexes").size(), found.body());
            }
        }
        assertEquals(204, admin.call("DELETE", "/api/v1/workspaces/" + ws, null).status());
        await("deleted again, nothing left", before, core::liveActors);
    }
}
