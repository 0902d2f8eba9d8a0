package io.anchormq.platform.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the platform (started as the README starts it, durable state on by default) under QoS 1 and
 * QoS 2 load, then a restart on the same data directory. A ledger of what the publishers had acknowledged proves
 * that every acknowledged message reaches every persistent subscriber, the one connected through the crash and
 * the one offline, at least once (QoS 1) or exactly once (QoS 2), in order per topic; retained messages, wills and
 * sessions are as before.
 */
class BrokerStateCrashTest {

    @TempDir
    Path dir;

    /** What one subscriber received, in order, as "topic payload". */
    private static final class Received implements MqttCallback {
        final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            messages.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8));
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
        }

        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
        }

        boolean hasAll(Set<String> expected) {
            return messages.containsAll(expected);
        }
    }

    private static MqttConnectionOptions persistent() {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(false);
        o.setSessionExpiryInterval(3600L);
        o.setAutomaticReconnect(false);
        return o;
    }

    private static MqttAsyncClient client(int port, String id, MqttCallback callback) throws MqttException {
        MqttAsyncClient c = new MqttAsyncClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
        if (callback != null) {
            c.setCallback(callback);
        }
        return c;
    }

    /**
     * A persistent HiveMQ-client subscriber that reconnects by itself; unlike Paho, this client keeps the packet
     * ids of inbound QoS 2 messages until PUBREL across reconnects, so a PUBLISH the broker sends again after its
     * restart (DUP, same id) is not handed to the application twice: what reaches {@code received} is what an
     * application would see.
     */
    private static Mqtt5AsyncClient ledgerSubscriber(int port, String id, Received received) {
        Mqtt5AsyncClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .automaticReconnect().initialDelay(200, TimeUnit.MILLISECONDS).maxDelay(1, TimeUnit.SECONDS)
                .applyAutomaticReconnect().buildAsync();
        c.publishes(MqttGlobalPublishFilter.ALL, p -> received.messages.add(p.getTopic() + " "
                + new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)));
        return c;
    }

    private static boolean connectPersistent(Mqtt5AsyncClient c) throws Exception {
        return c.connectWith().cleanStart(false).sessionExpiryInterval(3600).send().get(10, TimeUnit.SECONDS)
                .isSessionPresent();
    }

    @Test
    void everyAcknowledgedMessageReachesEveryPersistentSubscriberOnceForQos2InOrderAcrossKill9() throws Exception {
        Path data = dir.resolve("data");
        ChildPlatform first = ChildPlatform.start(dir, data, "");
        Received online = new Received();
        Received offline = new Received();
        Mqtt5AsyncClient onlineSub = ledgerSubscriber(first.mqttPort, "ledger-online", online);
        Mqtt5AsyncClient offlineSub = ledgerSubscriber(first.mqttPort, "ledger-offline", offline);
        for (Mqtt5AsyncClient s : List.of(onlineSub, offlineSub)) {
            connectPersistent(s);
            s.subscribeWith().addSubscription().topicFilter("ledger/q1/#").qos(MqttQos.AT_LEAST_ONCE)
                    .applySubscription().addSubscription().topicFilter("ledger/q2/#").qos(MqttQos.EXACTLY_ONCE)
                    .applySubscription().send().get(10, TimeUnit.SECONDS);
        }
        offlineSub.disconnect().get(10, TimeUnit.SECONDS); // its messages queue in the store while it is away

        Set<String> acked = ConcurrentHashMap.newKeySet();
        AtomicBoolean loading = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        List<MqttAsyncClient> publishers = new ArrayList<>();
        for (int qos = 1; qos <= 2; qos++) {
            for (int p = 0; p < 2; p++) {
                String topic = "ledger/q" + qos + "/p" + p;
                MqttAsyncClient pub = client(first.mqttPort, "ledger-pub-" + qos + "-" + p, null);
                MqttConnectionOptions o = new MqttConnectionOptions();
                o.setReceiveMaximum(64);
                pub.connect(o).waitForCompletion(10_000);
                publishers.add(pub);
                int q = qos;
                Thread t = new Thread(() -> publishUntilStopped(pub, topic, q, acked, loading));
                t.start();
                threads.add(t);
            }
        }
        Thread.sleep(2500);
        first.kill(); // SIGKILL while publishers send and the online subscriber receives
        loading.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        for (MqttAsyncClient c : publishers) {
            c.disconnectForcibly(0, 0, false);
            c.close(true);
        }
        assertTrue(acked.size() > 200, "load produced only " + acked.size() + " acknowledged messages");

        ChildPlatform second = ChildPlatform.start(dir, data, "", first.mqttPort, first.httpPort);
        try {
            // the connected subscriber reconnects by itself; the offline one comes back now
            assertTrue(connectPersistent(offlineSub), "the offline subscriber's session is present after the restart");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((!online.hasAll(acked) || !offline.hasAll(acked)) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(500); // duplicates, if any, arrive now
            for (Received r : List.of(online, offline)) {
                String who = r == online ? "connected subscriber" : "offline subscriber";
                List<String> missing = new ArrayList<>(acked);
                missing.removeAll(r.messages);
                Collections.sort(missing);
                assertEquals(List.of(), missing.subList(0, Math.min(10, missing.size())),
                        who + ": acknowledged messages missing (" + missing.size() + " of " + acked.size() + ")");
                assertQos2ExactlyOnceAndInOrder(r.messages, who);
            }
            onlineSub.disconnect().get(5, TimeUnit.SECONDS);
            offlineSub.disconnect().get(5, TimeUnit.SECONDS);
        } finally {
            second.kill();
        }
    }

    private static void publishUntilStopped(MqttAsyncClient pub, String topic, int qos, Set<String> acked,
                                            AtomicBoolean loading) {
        Semaphore window = new Semaphore(32);
        for (int seq = 0; loading.get(); seq++) {
            try {
                if (!window.tryAcquire(1, TimeUnit.SECONDS)) {
                    continue;
                }
                String entry = topic + " " + seq;
                pub.publish(topic, String.valueOf(seq).getBytes(StandardCharsets.UTF_8), qos, false, null,
                        new MqttActionListener() {
                            @Override
                            public void onSuccess(IMqttToken token) {
                                acked.add(entry); // PUBACK, or PUBCOMP for QoS 2
                                window.release();
                            }

                            @Override
                            public void onFailure(IMqttToken token, Throwable exception) {
                                window.release();
                            }
                        });
            } catch (MqttException | InterruptedException e) {
                return; // the broker is gone
            }
        }
    }

    /** No QoS 2 message twice; per topic, messages first seen in publish order (QoS 1 may repeat, not reorder). */
    private static void assertQos2ExactlyOnceAndInOrder(List<String> messages, String who) {
        Map<String, Integer> counts = new HashMap<>();
        Map<String, Integer> lastFirstSeen = new LinkedHashMap<>();
        for (String m : messages) {
            int n = counts.merge(m, 1, Integer::sum);
            String topic = m.substring(0, m.indexOf(' '));
            int seq = Integer.parseInt(m.substring(m.indexOf(' ') + 1));
            if (topic.startsWith("ledger/q2/")) {
                assertEquals(1, n, who + ": QoS 2 message delivered twice: " + m);
            }
            if (n == 1) {
                Integer before = lastFirstSeen.put(topic, seq);
                assertTrue(before == null || before < seq, who + ": " + m + " arrived after " + topic + " " + before);
            }
        }
    }

    @Test
    void retainedMessagesWillsAndSessionsSurviveKill9() throws Exception {
        Path data = dir.resolve("data");
        ChildPlatform first = ChildPlatform.start(dir, data, "");
        Received watcher = new Received();
        MqttAsyncClient watch = client(first.mqttPort, "will-watcher", watcher);
        watch.connect(persistent()).waitForCompletion(10_000);
        watch.subscribe("wills/#", 1).waitForCompletion(10_000);
        watch.disconnect().waitForCompletion(10_000);
        watch.close();

        MqttAsyncClient device = client(first.mqttPort, "status-device", null);
        device.connect(new MqttConnectionOptions()).waitForCompletion(10_000);
        device.publish("status/dev-1", "online".getBytes(StandardCharsets.UTF_8), 1, true).waitForCompletion(10_000);
        MqttMessage shortLived = new MqttMessage("soon gone".getBytes(StandardCharsets.UTF_8), 1, true, null);
        MqttProperties expiry = new MqttProperties();
        expiry.setMessageExpiryInterval(2L);
        shortLived.setProperties(expiry);
        device.publish("status/short", shortLived).waitForCompletion(10_000);

        // connected through the crash: a will without delay (clean session) and one with a 2 s delay
        willClient(first.mqttPort, "will-now", 0, 0);
        willClient(first.mqttPort, "will-later", 2, 60);
        // gone before the crash, its will waiting for a delay that runs out while the broker is down
        MqttAsyncClient pending = willClient(first.mqttPort, "will-pending", 2, 60);
        pending.disconnectForcibly(0, 0, false);
        Thread.sleep(300);
        first.kill();
        Thread.sleep(3000);

        ChildPlatform second = ChildPlatform.start(dir, data, "", first.mqttPort, first.httpPort);
        try {
            MqttAsyncClient watchAgain = client(second.mqttPort, "will-watcher", watcher);
            assertTrue(connected(watchAgain, second.mqttPort), "the watcher's session is back");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            Set<String> wills = Set.of("wills/will-now gone", "wills/will-later gone", "wills/will-pending gone");
            while (!watcher.hasAll(wills) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(watcher.hasAll(wills), "wills published after the restart, without resubscribing: "
                    + watcher.messages);

            Received fresh = new Received();
            MqttAsyncClient reader = client(second.mqttPort, "status-reader", fresh);
            reader.connect(new MqttConnectionOptions()).waitForCompletion(10_000);
            reader.subscribe("status/#", 1).waitForCompletion(10_000);
            Thread.sleep(500);
            assertEquals(List.of("status/dev-1 online"), fresh.messages,
                    "the retained message is back, the expired one is not");
            reader.disconnect().waitForCompletion(5000);
            watchAgain.disconnect().waitForCompletion(5000);
        } finally {
            second.kill();
        }
    }

    /** Connects with a persistent session; returns CONNACK's session present flag. */
    private static boolean connected(MqttAsyncClient c, int port) throws MqttException {
        MqttConnectionOptions o = persistent();
        o.setServerURIs(new String[] {"tcp://127.0.0.1:" + port});
        IMqttToken t = c.connect(o);
        t.waitForCompletion(10_000);
        return t.getSessionPresent();
    }

    private static MqttAsyncClient willClient(int port, String id, long delay, long sessionExpiry) throws Exception {
        MqttAsyncClient c = client(port, id, null);
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(true);
        o.setSessionExpiryInterval(sessionExpiry);
        MqttMessage will = new MqttMessage("gone".getBytes(StandardCharsets.UTF_8), 1, false, null);
        o.setWill("wills/" + id, will);
        MqttProperties willProps = new MqttProperties();
        willProps.setWillDelayInterval(delay);
        o.setWillMessageProperties(willProps);
        c.connect(o).waitForCompletion(10_000);
        return c;
    }
}
