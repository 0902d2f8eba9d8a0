package io.anchormq.platform.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.anchormq.anchoring.merkle.Rfc9162;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;

/** The platform's integrity-log HTTP API as the tests call it: GETs under {@code /log/default/} on loopback. */
public final class LogHttp {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private LogHttp() {
    }

    public static HttpResponse<String> get(int httpPort, String path) throws IOException, InterruptedException {
        return HTTP.send(request(httpPort, path), HttpResponse.BodyHandlers.ofString());
    }

    public static HttpResponse<byte[]> getBytes(int httpPort, String path) throws IOException, InterruptedException {
        return HTTP.send(request(httpPort, path), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The query naming one message: {@code clientId=…&topic=…&payloadSha256=…}. */
    public static String messageQuery(String clientId, String topic, byte[] payload) {
        return "clientId=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8) + "&topic="
                + URLEncoder.encode(topic, StandardCharsets.UTF_8) + "&payloadSha256=" + sha256Hex(payload);
    }

    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(Rfc9162.sha256(data));
    }

    /** The proof file of a message, once the log has it (polled for at most {@code wait}). */
    public static String awaitProof(int httpPort, String clientId, String topic, byte[] payload, Duration wait)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            HttpResponse<String> r = get(httpPort, "/proof?" + messageQuery(clientId, topic, payload));
            if (r.statusCode() == 200) {
                return r.body();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no proof for " + clientId + " " + topic + ": " + r.statusCode() + " "
                        + r.body());
            }
            Thread.sleep(20);
        }
    }

    /** The indexes at which the log holds a message ({@code GET /lookup}). */
    public static JsonNode lookup(int httpPort, String clientId, String topic, byte[] payload)
            throws IOException, InterruptedException {
        HttpResponse<String> r = get(httpPort, "/lookup?" + messageQuery(clientId, topic, payload));
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("indexes");
    }

    private static HttpRequest request(int httpPort, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/log/default" + path))
                .timeout(Duration.ofSeconds(10)).build();
    }
}
