package io.anchormq.platform.testsupport;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Small wrappers around the Paho 3.1.1 and 5.0 async clients that queue everything they receive. */
public final class PahoTestClients {

    public static final long OP_TIMEOUT_MS = 5_000;
    private static final AtomicLong COUNTER = new AtomicLong();

    private PahoTestClients() {
    }

    /** A name unique within the JVM run, usable as client id and topic segment. */
    public static String unique(String prefix) {
        return prefix + "-" + COUNTER.incrementAndGet() + "-" + Long.toHexString(System.nanoTime() & 0xFFFFFF);
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    public static <T> T take(BlockingQueue<T> queue, Duration timeout, String what) throws InterruptedException {
        T t = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(t, "timed out after " + timeout.toMillis() + " ms waiting for " + what);
        return t;
    }

    public static <T> void assertNothing(BlockingQueue<T> queue, Duration window, String what) throws InterruptedException {
        T t = queue.poll(window.toMillis(), TimeUnit.MILLISECONDS);
        if (t != null) {
            fail("expected no " + what + " within " + window.toMillis() + " ms but got " + t);
        }
    }

    // ------------------------------------------------------------------ MQTT 3.1.1

    /** A message received by a 3.1.1 client. */
    public record V3Msg(String topic, byte[] payload, int qos, boolean retained, boolean dup) {
        public String text() {
            return str(payload);
        }

        @Override
        public String toString() {
            return "V3Msg[" + topic + " '" + text() + "' qos=" + qos + " retain=" + retained + " dup=" + dup + "]";
        }
    }

    public static final class V3 implements AutoCloseable {
        public final org.eclipse.paho.client.mqttv3.MqttAsyncClient client;
        public final BlockingQueue<V3Msg> messages = new LinkedBlockingQueue<>();
        public final BlockingQueue<Throwable> connectionLost = new LinkedBlockingQueue<>();

        public V3(String uri, String clientId) throws Exception {
            client = new org.eclipse.paho.client.mqttv3.MqttAsyncClient(uri, clientId,
                    new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
            client.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                    connectionLost.add(cause == null ? new RuntimeException("connection lost") : cause);
                }

                @Override
                public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage m) {
                    messages.add(new V3Msg(topic, m.getPayload(), m.getQos(), m.isRetained(), m.isDuplicate()));
                }

                @Override
                public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
                }
            });
        }

        static org.eclipse.paho.client.mqttv3.MqttConnectOptions options(boolean cleanSession) {
            org.eclipse.paho.client.mqttv3.MqttConnectOptions o = new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
            o.setCleanSession(cleanSession);
            o.setConnectionTimeout(5);
            o.setKeepAliveInterval(30);
            o.setAutomaticReconnect(false);
            o.setMaxInflight(100);
            return o;
        }

        /** Connects and returns the session present flag of the CONNACK. */
        public boolean connect(boolean cleanSession) throws Exception {
            return connect(options(cleanSession));
        }

        boolean connect(org.eclipse.paho.client.mqttv3.MqttConnectOptions options) throws Exception {
            org.eclipse.paho.client.mqttv3.IMqttToken t = client.connect(options);
            t.waitForCompletion(OP_TIMEOUT_MS);
            return t.getSessionPresent();
        }

        /** Subscribes and returns the granted QoS / return codes from the SUBACK. */
        public int[] subscribe(String[] filters, int[] qos) throws Exception {
            org.eclipse.paho.client.mqttv3.IMqttToken t = client.subscribe(filters, qos);
            t.waitForCompletion(OP_TIMEOUT_MS);
            return t.getGrantedQos();
        }

        public int subscribe(String filter, int qos) throws Exception {
            return subscribe(new String[] {filter}, new int[] {qos})[0];
        }

        public void unsubscribe(String filter) throws Exception {
            client.unsubscribe(filter).waitForCompletion(OP_TIMEOUT_MS);
        }

        public void publish(String topic, String payload, int qos, boolean retained) throws Exception {
            publish(topic, utf8(payload), qos, retained);
        }

        public void publish(String topic, byte[] payload, int qos, boolean retained) throws Exception {
            client.publish(topic, payload, qos, retained).waitForCompletion(OP_TIMEOUT_MS);
        }

        public V3Msg next(Duration timeout) throws InterruptedException {
            return take(messages, timeout, "a message");
        }

        public void disconnect() throws Exception {
            client.disconnect(0).waitForCompletion(OP_TIMEOUT_MS);
        }

        @Override
        public void close() {
            try {
                if (client.isConnected()) {
                    client.disconnect(0).waitForCompletion(OP_TIMEOUT_MS);
                }
            } catch (Exception ignored) {
                // best effort
            }
            try {
                client.close(true);
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    // ------------------------------------------------------------------ MQTT 5.0

    /** A message received by a 5.0 client. */
    public record V5Msg(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
        public String text() {
            return str(message.getPayload());
        }

        public org.eclipse.paho.mqttv5.common.packet.MqttProperties props() {
            return message.getProperties();
        }

        @Override
        public String toString() {
            return "V5Msg[" + topic + " '" + text() + "' qos=" + message.getQos() + " retain=" + message.isRetained()
                    + " props=" + message.getProperties() + "]";
        }
    }

    public static final class V5 implements AutoCloseable {
        public final org.eclipse.paho.mqttv5.client.MqttAsyncClient client;
        public final BlockingQueue<V5Msg> messages = new LinkedBlockingQueue<>();
        public final BlockingQueue<org.eclipse.paho.mqttv5.client.MqttDisconnectResponse> disconnects =
                new LinkedBlockingQueue<>();

        public V5(String uri, String clientId) throws Exception {
            client = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(uri, clientId,
                    new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
            client.setCallback(new org.eclipse.paho.mqttv5.client.MqttCallback() {
                @Override
                public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse response) {
                    disconnects.add(response);
                }

                @Override
                public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException exception) {
                }

                @Override
                public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
                    messages.add(new V5Msg(topic, message));
                }

                @Override
                public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken token) {
                }

                @Override
                public void connectComplete(boolean reconnect, String serverURI) {
                }

                @Override
                public void authPacketArrived(int reasonCode,
                        org.eclipse.paho.mqttv5.common.packet.MqttProperties properties) {
                }
            });
        }

        public static org.eclipse.paho.mqttv5.client.MqttConnectionOptions options(boolean cleanStart, Long sessionExpiry) {
            org.eclipse.paho.mqttv5.client.MqttConnectionOptions o =
                    new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
            o.setCleanStart(cleanStart);
            o.setSessionExpiryInterval(sessionExpiry);
            o.setConnectionTimeout(5);
            o.setKeepAliveInterval(30);
            o.setAutomaticReconnect(false);
            return o;
        }

        /** Clean start, no session expiry, with a user name and (if not null) a password. */
        public static org.eclipse.paho.mqttv5.client.MqttConnectionOptions login(String username, String password) {
            org.eclipse.paho.mqttv5.client.MqttConnectionOptions o = options(true, 0L);
            o.setUserName(username);
            o.setPassword(password == null ? null : utf8(password));
            return o;
        }

        /**
         * Publishes at QoS 1 and returns the PUBACK's reason code (0 delivered, 0x10 no subscribers, 0x80 and up
         * refused), also when Paho reports the refusal as an exception.
         */
        public int publishReason(String topic, String payload, boolean retained) throws Exception {
            org.eclipse.paho.mqttv5.common.MqttMessage m = new org.eclipse.paho.mqttv5.common.MqttMessage(utf8(payload));
            m.setQos(1);
            m.setRetained(retained);
            org.eclipse.paho.mqttv5.client.IMqttToken t = client.publish(topic, m);
            try {
                t.waitForCompletion(OP_TIMEOUT_MS * 2);
            } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
                return e.getReasonCode();
            }
            int[] codes = t.getReasonCodes();
            return codes == null || codes.length == 0 ? 0 : codes[0];
        }

        public org.eclipse.paho.mqttv5.client.IMqttToken connect(
                org.eclipse.paho.mqttv5.client.MqttConnectionOptions options) throws Exception {
            org.eclipse.paho.mqttv5.client.IMqttToken t = client.connect(options);
            t.waitForCompletion(OP_TIMEOUT_MS);
            return t;
        }

        /** Connects and returns the session present flag. */
        public boolean connect(boolean cleanStart, Long sessionExpiry) throws Exception {
            return connect(options(cleanStart, sessionExpiry)).getSessionPresent();
        }

        /** Subscribes and returns the SUBACK reason codes. */
        public int[] subscribe(org.eclipse.paho.mqttv5.common.packet.MqttProperties props,
                org.eclipse.paho.mqttv5.common.MqttSubscription... subscriptions) throws Exception {
            org.eclipse.paho.mqttv5.client.IMqttToken t = client.subscribe(subscriptions, null, null,
                    props == null ? new org.eclipse.paho.mqttv5.common.packet.MqttProperties() : props);
            t.waitForCompletion(OP_TIMEOUT_MS);
            return t.getReasonCodes();
        }

        public int subscribe(String filter, int qos) throws Exception {
            return subscribe(null, new org.eclipse.paho.mqttv5.common.MqttSubscription(filter, qos))[0];
        }

        public void publish(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) throws Exception {
            publishAndWait(() -> client.publish(topic, message));
        }

        public void publish(String topic, String payload, int qos, boolean retained) throws Exception {
            publishAndWait(() -> client.publish(topic, utf8(payload), qos, retained));
        }

        private interface PublishCall {
            org.eclipse.paho.mqttv5.client.IMqttToken send() throws org.eclipse.paho.mqttv5.common.MqttException;
        }

        private static void publishAndWait(PublishCall publish) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OP_TIMEOUT_MS);
            while (true) {
                try {
                    publish.send().waitForCompletion(OP_TIMEOUT_MS);
                    return;
                } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
                    // Paho counts a publish in flight until its receiver thread has handled the PUBACK, which may be
                    // after the token completed: against a small server Receive Maximum a publish right after the
                    // last one's completion can find the window full for a moment (32202), and is tried again
                    if (e.getReasonCode() != 32202 || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(5);
                }
            }
        }

        public V5Msg next(Duration timeout) throws InterruptedException {
            return take(messages, timeout, "a message");
        }

        public List<V5Msg> next(int n, Duration timeout) throws InterruptedException {
            List<V5Msg> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < n) {
                long left = deadline - System.nanoTime();
                V5Msg m = messages.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
                assertNotNull(m, "timed out waiting for message " + (out.size() + 1) + " of " + n + ", got " + out);
                out.add(m);
            }
            return out;
        }

        public void disconnect() throws Exception {
            client.disconnect(0).waitForCompletion(OP_TIMEOUT_MS);
        }

        @Override
        public void close() {
            try {
                if (client.isConnected()) {
                    client.disconnect(0).waitForCompletion(OP_TIMEOUT_MS);
                }
            } catch (Exception ignored) {
                // best effort
            }
            try {
                client.close(true);
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    public static org.eclipse.paho.mqttv5.common.MqttMessage v5Message(String payload, int qos, boolean retained) {
        org.eclipse.paho.mqttv5.common.MqttMessage m = new org.eclipse.paho.mqttv5.common.MqttMessage(utf8(payload));
        m.setQos(qos);
        m.setRetained(retained);
        m.setProperties(new org.eclipse.paho.mqttv5.common.packet.MqttProperties());
        return m;
    }
}
