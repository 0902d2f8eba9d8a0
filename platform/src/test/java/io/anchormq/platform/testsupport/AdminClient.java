package io.anchormq.platform.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;

/** The admin API over real HTTP, as an operator's script would use it. */
public final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final String adminKey;

    /** An answer: status and body (JSON when it parses, else null). */
    public record Reply(int status, String body, JsonNode json) {
        public String error() {
            return json == null || !json.has("error") ? null : json.get("error").asText();
        }

        public String field() {
            return json == null || !json.has("field") ? null : json.get("field").asText();
        }
    }

    public AdminClient(int port, String adminKey) {
        this.port = port;
        this.adminKey = adminKey;
    }

    /** With the platform admin key the server wrote at its first start. */
    public static AdminClient of(BrokerFixture broker) {
        try {
            return new AdminClient(broker.httpPort(), Files.readString(broker.server().adminKeyFile()).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String adminKey() {
        return adminKey;
    }

    /** A request with the admin key. */
    public Reply call(String method, String path, String body) {
        return call(method, path, body, adminKey);
    }

    /** A request with the given key (null: none). */
    public Reply call(String method, String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = r.body().isEmpty() ? null : JSON.readTree(r.body());
            } catch (IOException notJson) {
                // a text resource
            }
            return new Reply(r.statusCode(), r.body(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Reply expect(int status, Reply r) {
        assertEquals(status, r.status(), r.body());
        return r;
    }

    public void createWorkspace(String id, boolean logPublicRead) {
        expect(201, call("POST", "/api/v1/workspaces", "{\"id\":\"" + id + "\",\"logPublicRead\":" + logPublicRead
                + "}"));
    }

    public void createDevice(String workspace, String device) {
        expect(201, call("POST", "/api/v1/workspaces/" + workspace + "/devices", "{\"id\":\"" + device + "\"}"));
    }

    /** A password credential; returns its id. */
    public String createPassword(String workspace, String device, String username, String password) {
        return expect(201, call("POST", "/api/v1/workspaces/" + workspace + "/devices/" + device + "/credentials",
                "{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}")).json().get("id").asText();
    }

    public void revokeCredential(String workspace, String device, String credential) {
        expect(200, call("POST", "/api/v1/workspaces/" + workspace + "/devices/" + device + "/credentials/"
                + credential + "/revoke", null));
    }

    /** An access token of the device ({@code body}: null or e.g. {"expiresIn": "P1D"}); returns the answer. */
    public JsonNode issueToken(String workspace, String device, String body) {
        return expect(201, call("POST", "/api/v1/workspaces/" + workspace + "/devices/" + device + "/tokens", body))
                .json();
    }

    /** A workspace API key of the role; returns the key. */
    public String workspaceKey(String workspace, String role) {
        return expect(201, call("POST", "/api/v1/workspaces/" + workspace + "/api-keys",
                "{\"role\":\"" + role + "\"}")).json().get("key").asText();
    }

}
