package io.anchormq.platform.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.anchormq.platform.testsupport.PahoTestClients;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;

/** Paho 3, Paho 5 and HiveMQ clients connected with a given TLS context, and a message sent round through each. */
final class TlsClients {

    static final Duration WAIT = Duration.ofSeconds(5);

    private TlsClients() {
    }

    /** A connected Paho 3.1.1 client; {@code tls} null: plain socket (tcp:// or ws://). */
    static V3 v3(String uri, SSLContext tls) throws Exception {
        V3 client = new V3(uri, PahoTestClients.unique("v3"));
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setConnectionTimeout(5);
        options.setAutomaticReconnect(false);
        if (tls != null) {
            options.setSocketFactory(tls.getSocketFactory());
        }
        try {
            client.client.connect(options).waitForCompletion(PahoTestClients.OP_TIMEOUT_MS);
        } catch (Exception e) {
            client.close();
            throw e;
        }
        return client;
    }

    static V5 v5(String uri, SSLContext tls) throws Exception {
        V5 client = new V5(uri, PahoTestClients.unique("v5"));
        MqttConnectionOptions options = V5.options(true, null);
        if (tls != null) {
            options.setSocketFactory(tls.getSocketFactory());
        }
        try {
            client.connect(options);
        } catch (Exception e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** Subscribes, publishes at QoS 1 and receives its own message back. */
    static void roundTrip(V3 client) throws Exception {
        String topic = PahoTestClients.unique("tls/v3");
        assertEquals(1, client.subscribe(topic, 1));
        client.publish(topic, "over " + client.client.getServerURI(), 1, false);
        assertEquals("over " + client.client.getServerURI(), client.next(WAIT).text());
    }

    static void roundTrip(V5 client) throws Exception {
        String topic = PahoTestClients.unique("tls/v5");
        assertEquals(1, client.subscribe(topic, 1));
        client.publish(topic, "over " + client.client.getServerURI(), 1, false);
        assertEquals("over " + client.client.getServerURI(), client.next(WAIT).text());
    }

    /** A HiveMQ MQTT 5 client over TLS: connects, sends a message round, disconnects. */
    static void hiveMqRoundTrip(int port, X509Certificate ca, PrivateKey key, List<X509Certificate> chain)
            throws Exception {
        var ssl = com.hivemq.client.mqtt.MqttClientSslConfig.builder()
                .trustManagerFactory(DeviceCredentials.trustManagers(ca))
                .protocols(List.of("TLSv1.3", "TLSv1.2"));
        if (key != null) {
            ssl = ssl.keyManagerFactory(DeviceCredentials.keyManagers(key, chain));
        }
        Mqtt5BlockingClient client = Mqtt5Client.builder()
                .identifier(PahoTestClients.unique("hivemq"))
                .serverHost("127.0.0.1")
                .serverPort(port)
                .sslConfig(ssl.build())
                .buildBlocking();
        client.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL)) {
            String topic = PahoTestClients.unique("tls/hivemq");
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .payload("hello over TLS".getBytes(StandardCharsets.UTF_8)).send();
            Optional<Mqtt5Publish> received = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals("hello over TLS", received.map(p -> new String(p.getPayloadAsBytes(),
                    StandardCharsets.UTF_8)).orElse("(nothing)"));
        } finally {
            client.disconnect();
        }
    }

}
