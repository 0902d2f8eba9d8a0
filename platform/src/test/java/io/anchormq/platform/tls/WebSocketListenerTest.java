package io.anchormq.platform.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MQTT over WebSocket (ws:// and wss:// at /mqtt) with Paho 3 and 5, and with the JDK's WebSocket client for what
 * Paho never does: packets split over frames, several packets in one frame, text frames, other paths.
 */
@Timeout(60)
class WebSocketListenerTest {

    private static BrokerFixture broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerFixture.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static String ws() {
        return "ws://127.0.0.1:" + broker.listenerPort("ws") + "/mqtt";
    }

    private static String wss() {
        return "wss://127.0.0.1:" + broker.listenerPort("wss") + "/mqtt";
    }

    private static SSLContext trustingCa() {
        return DeviceCredentials.tls(broker.server().pki().caCertificate(), null, null);
    }

    @Test
    void pahoV3OverWebSocket() throws Exception {
        try (V3 client = TlsClients.v3(ws(), null)) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void pahoV5OverWebSocket() throws Exception {
        try (V5 client = TlsClients.v5(ws(), null)) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void pahoV3OverSecureWebSocket() throws Exception {
        try (V3 client = TlsClients.v3(wss(), trustingCa())) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void pahoV5OverSecureWebSocket() throws Exception {
        try (V5 client = TlsClients.v5(wss(), trustingCa())) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void pahoV5OverSecureWebSocketWithIssuedClientCertificate() throws Exception {
        var key = DeviceCredentials.ecKey();
        var issued = Enrolment.issue(broker, DeviceCredentials.csrPem(key, "CN=ws-device"),
                java.time.Duration.ofDays(1));
        SSLContext tls = DeviceCredentials.tls(broker.server().pki().caCertificate(), key.getPrivate(),
                DeviceCredentials.certificates(issued.chainPem()));
        try (V5 client = TlsClients.v5(wss(), tls)) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void plainWebSocketListenerDoesNotSpeakTls() {
        // the ws port is not the wss port: a TLS client gets no handshake there
        String wrong = "wss://127.0.0.1:" + broker.listenerPort("ws") + "/mqtt";
        assertThrows(Exception.class, () -> TlsClients.v5(wrong, trustingCa()).close());
    }

    // ------------------------------------------------------------------------------------------------ raw frames

    /** Collects every binary message's bytes as one stream, and how the connection ended. */
    private static final class ByteCollector implements WebSocket.Listener {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            synchronized (bytes) {
                byte[] chunk = new byte[data.remaining()];
                data.get(chunk);
                bytes.writeBytes(chunk);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }

        byte[] awaitBytes(int count) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 5_000;
            while (System.currentTimeMillis() < deadline) {
                synchronized (bytes) {
                    if (bytes.size() >= count) {
                        return bytes.toByteArray();
                    }
                }
                Thread.sleep(10);
            }
            synchronized (bytes) {
                return bytes.toByteArray();
            }
        }
    }

    private static WebSocket open(String path, ByteCollector collector, String... subprotocols) throws Exception {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0], Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        return builder.buildAsync(URI.create("ws://127.0.0.1:" + broker.listenerPort("ws") + path), collector)
                .get(5, TimeUnit.SECONDS);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return concat(new byte[] {(byte) (b.length >> 8), (byte) b.length}, b);
    }

    private static byte[] packet(int firstByte, byte[] body) {
        return concat(new byte[] {(byte) firstByte, (byte) body.length}, body); // bodies here are < 128 bytes
    }

    private static void send(WebSocket ws, byte[] bytes, boolean last) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(bytes), last).get(5, TimeUnit.SECONDS);
    }

    @Test
    void packetsSplitOverFramesAndSeveralPacketsInOneFrameAreOneByteStream() throws Exception {
        ByteCollector collector = new ByteCollector();
        WebSocket ws = open("/mqtt", collector, "mqtt");
        assertEquals("mqtt", ws.getSubprotocol());
        String topic = "ws/raw/" + System.nanoTime();
        byte[] connect = packet(0x10, concat(string("MQTT"), new byte[] {4, 2, 0, 60}, string("raw-" + System.nanoTime())));
        byte[] subscribe = packet(0x82, concat(new byte[] {0, 1}, string(topic), new byte[] {1}));
        byte[] publish = packet(0x30, concat(string(topic), "split".getBytes(StandardCharsets.UTF_8)));

        // CONNECT in two fragments of one message (a binary frame and a continuation frame)
        send(ws, Arrays.copyOfRange(connect, 0, 5), false);
        send(ws, Arrays.copyOfRange(connect, 5, connect.length), true);
        // SUBSCRIBE and the first half of PUBLISH in one message, the rest of PUBLISH in the next
        send(ws, concat(subscribe, Arrays.copyOfRange(publish, 0, 4)), true);
        send(ws, Arrays.copyOfRange(publish, 4, publish.length), true);

        byte[] connack = {0x20, 2, 0, 0};
        byte[] suback = {(byte) 0x90, 3, 0, 1, 1};
        byte[] expected = concat(connack, suback, publish);
        assertArrayEquals(expected, collector.awaitBytes(expected.length));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }

    @Test
    void subprotocolMqttv31IsAccepted() throws Exception {
        ByteCollector collector = new ByteCollector();
        WebSocket ws = open("/mqtt", collector, "mqttv3.1");
        assertEquals("mqttv3.1", ws.getSubprotocol());
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }

    @Test
    void textFrameClosesTheConnection() throws Exception {
        ByteCollector collector = new ByteCollector();
        WebSocket ws = open("/mqtt", collector, "mqtt");
        ws.sendText("CONNECT", true).get(5, TimeUnit.SECONDS);
        assertEquals(1003, collector.closed.get(5, TimeUnit.SECONDS));
    }

    @Test
    void otherPathsGetAnHttpErrorNotAHang() throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> open("/other", new ByteCollector(), "mqtt"));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(404, handshake.getResponse().statusCode());

        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + broker.listenerPort("ws") + "/")).timeout(
                java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, plain.statusCode());
    }
}
