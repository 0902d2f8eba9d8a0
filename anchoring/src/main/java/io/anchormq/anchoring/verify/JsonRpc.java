package io.anchormq.anchoring.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * Ethereum JSON-RPC 2.0 over {@code java.net.http}, for the few read calls the verifier makes (web3j would make
 * the standalone jar ten times bigger). Every failure to get an answer is {@link UnusableInput}: the verifier cannot
 * check, which is not the same as the check failing.
 */
final class JsonRpc {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_SHOWN_BODY = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    /** scheme://host:port: hosted nodes put API keys in the path or query, which must not be printed. */
    private final String endpoint;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private int nextId = 1;

    JsonRpc(String url) throws UnusableInput {
        URI parsed;
        try {
            parsed = new URI(url);
        } catch (URISyntaxException e) {
            throw new UnusableInput("--rpc " + url + " is not a URL: " + e.getReason());
        }
        String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || parsed.getHost() == null) {
            throw new UnusableInput("--rpc " + url + " is not an http or https URL");
        }
        this.url = parsed;
        this.endpoint = scheme + "://" + parsed.getHost() + (parsed.getPort() < 0 ? "" : ":" + parsed.getPort());
    }

    /** The node, as it may be printed. */
    String endpoint() {
        return endpoint;
    }

    /** The result of {@code method(params)}; JSON null when the node has none (an unknown transaction, say). */
    JsonNode call(String method, String... params) throws UnusableInput {
        ObjectNode request = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", nextId++).put("method", method);
        ArrayNode array = request.putArray("params");
        for (String param : params) {
            array.add(param);
        }
        HttpResponse<String> response;
        try {
            response = client.send(HttpRequest.newBuilder(url)
                    .timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(request.toString(), StandardCharsets.UTF_8))
                    .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) { // the JDK gives it no message
            throw new UnusableInput("--rpc " + endpoint + " unreachable (" + method + "): connection refused");
        } catch (IOException e) {
            throw new UnusableInput("--rpc " + endpoint + " unreachable (" + method + "): " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnusableInput("--rpc " + endpoint + ": interrupted while waiting for " + method);
        }
        if (response.statusCode() / 100 != 2) {
            throw new UnusableInput("--rpc " + endpoint + " answered " + method + " with HTTP " + response.statusCode()
                    + ": " + shorten(response.body()));
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new UnusableInput("--rpc " + endpoint + " answered " + method + " with something other than JSON: "
                    + shorten(response.body()));
        }
        if (answer == null || !answer.isObject()) {
            throw new UnusableInput("--rpc " + endpoint + " answered " + method + " with something other than a "
                    + "JSON-RPC response: " + shorten(response.body()));
        }
        JsonNode error = answer.get("error");
        if (error != null && !error.isNull()) {
            throw new UnusableInput("--rpc " + endpoint + ": " + method + " failed: " + error.path("message").asText()
                    + " (code " + error.path("code").asText() + ")");
        }
        if (!answer.has("result")) {
            throw new UnusableInput("--rpc " + endpoint + " answered " + method + " without a result: "
                    + shorten(response.body()));
        }
        return answer.get("result");
    }

    /** A hex quantity ({@code 0x1a}) of an answer; {@code what} names it for the message. */
    long quantity(JsonNode value, String what) throws UnusableInput {
        String text = value == null || !value.isTextual() ? null : value.asText();
        if (text != null && text.startsWith("0x") && text.length() > 2 && text.length() <= 2 + 15) {
            try {
                return Long.parseLong(text.substring(2), 16);
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new UnusableInput("--rpc " + endpoint + " answered with " + what + " = " + value
                + ", not a hex quantity");
    }

    private static String shorten(String body) {
        String line = body.strip().replace('\n', ' ');
        return line.length() > MAX_SHOWN_BODY ? line.substring(0, MAX_SHOWN_BODY) + "…" : line;
    }
}
