package io.anchormq.platform.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.platform.AnchormqServer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/**
 * Sessions and retained messages live behind store interfaces: a second broker started on the same stores (what a
 * restart with a durable store will look like) restores the sessions, their subscriptions and retained messages.
 */
class SessionStoreRestoreTest {

    private static Config config() {
        return ConfigFactory.parseString("anchormq.mqtt.host = \"127.0.0.1\"\nanchormq.mqtt.port = 0\n"
                + "anchormq.http.port = 0\nanchormq.data-dir = \"target/test-data/" + java.util.UUID.randomUUID() + "\"")
                .withFallback(ConfigFactory.load());
    }

    @Test
    void aBrokerOnTheSameStoresRestoresSessionsSubscriptionsAndRetainedMessages() throws Exception {
        InMemorySessionStore sessions = new InMemorySessionStore();
        InMemoryRetainedStore retained = new InMemoryRetainedStore();
        MqttConnectOptions persistent = new MqttConnectOptions();
        persistent.setCleanSession(false);

        try (AnchormqServer first = AnchormqServer.start(config(), sessions, retained)) {
            MqttClient device = new MqttClient("tcp://127.0.0.1:" + first.mqttPort(), "restore-device",
                    new MemoryPersistence());
            device.connect(persistent);
            device.subscribe("restore/cmd", 1);
            device.publish("restore/status", "up".getBytes(StandardCharsets.UTF_8), 1, true);
            device.disconnect();
            device.close();
        }

        try (AnchormqServer second = AnchormqServer.start(config(), sessions, retained)) {
            String uri = "tcp://127.0.0.1:" + second.mqttPort();
            MqttClient backend = new MqttClient(uri, "restore-backend", new MemoryPersistence());
            backend.connect();
            // the device is offline: its restored subscription must queue this for it
            backend.publish("restore/cmd", "reboot".getBytes(StandardCharsets.UTF_8), 1, false);
            BlockingQueue<MqttMessage> retainedSeen = new ArrayBlockingQueue<>(4);
            backend.subscribe("restore/status", 1, (t, m) -> retainedSeen.add(m));
            MqttMessage status = retainedSeen.poll(5, TimeUnit.SECONDS);
            assertArrayEquals("up".getBytes(StandardCharsets.UTF_8), status == null ? null : status.getPayload());
            backend.disconnect();
            backend.close();

            BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(4);
            MqttClient device = new MqttClient(uri, "restore-device", new MemoryPersistence());
            device.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                }

                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    received.add(message);
                }

                @Override
                public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
                }
            });
            boolean sessionPresent = device.connectWithResult(persistent).getSessionPresent();
            assertTrue(sessionPresent, "restored session must be present");
            MqttMessage queued = received.poll(5, TimeUnit.SECONDS);
            assertEquals("reboot", queued == null ? null : new String(queued.getPayload(), StandardCharsets.UTF_8));
            device.disconnect();
            device.close();
        }
    }
}
