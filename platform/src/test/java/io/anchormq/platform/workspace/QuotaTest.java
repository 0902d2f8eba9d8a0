package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A workspace's quotas through real clients, each set through the admin API and in force at once: connections
 * (CONNACK 0x97), subscriptions per client (SUBACK 0x97), retained messages (PUBACK 0x97), and the inbound message
 * rate, which holds a publisher back before it refuses anything. Other workspaces are not affected.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuotaTest {

    private static final int QUOTA_EXCEEDED = 0x97;
    private BrokerFixture broker;
    private AdminClient admin;

    @BeforeAll
    void start() {
        broker = BrokerFixture.start();
        admin = AdminClient.of(broker);
        for (String ws : new String[] {"small", "other"}) {
            admin.createWorkspace(ws, false);
            admin.createDevice(ws, "d");
            admin.createPassword(ws, "d", ws + "-d", ws + " password 1");
        }
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private void quotas(String json) {
        AdminClient.Reply r = admin.call("PATCH", "/api/v1/workspaces/small", "{\"quotas\": " + json + "}");
        assertEquals(200, r.status(), r.body());
    }

    private V5 client(String ws) throws Exception {
        V5 c = new V5(broker.tcpUri(), unique(ws));
        c.connect(options(ws));
        return c;
    }

    private static MqttConnectionOptions options(String ws) {
        return V5.login(ws + "-d", ws + " password 1");
    }

    private static Mqtt5SubAckReasonCode subscribe(Mqtt5BlockingClient c, String filter) {
        try {
            return c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send().getReasonCodes().get(0);
        } catch (Mqtt5SubAckException e) {
            return e.getMqttMessage().getReasonCodes().get(0);
        }
    }

    @Test
    void connectionsBeyondTheWorkspacesMaximumAreRefused() throws Exception {
        quotas("{\"maxConnections\": 2}");
        List<V5> open = new ArrayList<>();
        try {
            open.add(client("small"));
            open.add(client("small"));
            try (V5 third = new V5(broker.tcpUri(), unique("third"))) {
                assertEquals(QUOTA_EXCEEDED, assertThrows(MqttException.class,
                        () -> third.connect(options("small"))).getReasonCode());
            }
            assertEquals(1, broker.server().broker().workspace("small").metrics().refusals.byReason()
                    .get("quotaExceeded"), "counted as the workspace's refusal");
            try (V5 elsewhere = client("other")) {
                assertTrue(elsewhere.client.isConnected(), "another workspace is not limited by it");
            }
            open.remove(0).close();
            Thread.sleep(200); // the closed connection is counted out when its socket closes
            open.add(client("small"));
        } finally {
            open.forEach(V5::close);
            quotas("{\"maxConnections\": null}");
        }
    }

    @Test
    void subscriptionsPerClientAndRetainedMessagesHaveTheirMaximum() throws Exception {
        quotas("{\"maxSubscriptionsPerClient\": 2, \"maxRetainedMessages\": 1}");
        // HiveMQ's client here: Paho 1.2.5 rejects a SUBACK with 0x97, a code MQTT 5 allows there (table 3-8)
        Mqtt5BlockingClient hive = Mqtt5Client.builder().identifier(unique("hive")).serverHost("127.0.0.1")
                .serverPort(broker.port()).simpleAuth().username("small-d")
                .password("small password 1".getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildBlocking();
        hive.connect();
        try (V5 c = client("small")) {
            assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1, subscribe(hive, "a/1"));
            assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1, subscribe(hive, "a/2"));
            assertEquals(Mqtt5SubAckReasonCode.QUOTA_EXCEEDED, subscribe(hive, "a/3"));
            assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1, subscribe(hive, "a/2"),
                    "replacing a subscription is not a new one");

            assertEquals(0x10, c.publishReason("keep/" + unique("r"), "x", true), "the first retained message");
            assertEquals(QUOTA_EXCEEDED, c.publishReason("keep/" + unique("r"), "x", true), "a second topic retained");
            assertEquals(0x10, c.publishReason("plain/x", "x", false), "non-retained publishes go on");
        } finally {
            hive.disconnect();
            quotas("{\"maxSubscriptionsPerClient\": null, \"maxRetainedMessages\": null}");
        }
    }

    @Test
    void theInboundRateHoldsThePublisherBackInsteadOfRefusing() throws Exception {
        quotas("{\"maxMessagesPerSecond\": 20}");
        try (V5 c = client("small")) {
            long t0 = System.nanoTime();
            int refused = 0;
            List<IMqttToken> tokens = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                MqttMessage m = new MqttMessage("x".getBytes(StandardCharsets.UTF_8));
                m.setQos(1);
                tokens.add(c.client.publish("rate/x", m));
            }
            for (IMqttToken t : tokens) {
                t.waitForCompletion(20_000);
                int[] codes = t.getReasonCodes();
                if (codes != null && codes.length > 0 && codes[0] >= 0x80) {
                    refused++;
                }
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, refused, "back-pressure first: nothing refused");
            // 50 messages at 20/s with a one-second burst: at least ~1.5 s
            assertTrue(millis >= 1_200, "the publisher was not held back: " + millis + " ms");
            assertTrue(broker.server().broker().workspace("small").metrics().rateQuotaPauses.sum() > 0);
        } finally {
            quotas("{\"maxMessagesPerSecond\": null}");
        }
    }
}
