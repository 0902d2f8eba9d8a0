package io.anchormq.anchoring.chain;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

import org.web3j.protocol.Service;

/**
 * web3j JSON-RPC transport over the JDK's {@link HttpClient}. web3j's own {@code HttpService} needs OkHttp, which
 * drags Kotlin in (banned from the build). Every request has a connect and a response timeout, so an unreachable or
 * hung node surfaces as an {@link IOException} instead of a stuck thread.
 */
public final class JdkHttpService extends Service {

    private static final int MAX_ERROR_BODY_CHARS = 200;

    private final URI url;
    /** scheme://host:port only: hosted nodes put API keys in the path or query, which must not reach logs. */
    private final String endpoint;
    private final Duration requestTimeout;
    private final HttpClient client;

    /**
     * @param url            the node's JSON-RPC endpoint (http or https)
     * @param connectTimeout bound on opening the connection
     * @param requestTimeout bound on one request, from sending to the complete response
     */
    public JdkHttpService(URI url, Duration connectTimeout, Duration requestTimeout) {
        super(false);
        this.url = Objects.requireNonNull(url, "url");
        String scheme = url.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("JSON-RPC URL must be http or https: " + url);
        }
        this.endpoint = scheme.toLowerCase(Locale.ROOT) + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.client = HttpClient.newBuilder()
                .connectTimeout(Objects.requireNonNull(connectTimeout, "connectTimeout"))
                .build();
    }

    @Override
    protected InputStream performIO(String payload) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + endpoint);
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            // the JDK's messages rarely say which server (a refused connection has no message at all)
            throw new IOException("JSON-RPC " + endpoint + " unreachable: " + e, e);
        }
        if (response.statusCode() / 100 != 2) {
            String body = new String(response.body(), StandardCharsets.UTF_8);
            throw new IOException("JSON-RPC " + endpoint + " answered HTTP " + response.statusCode() + ": "
                    + (body.length() > MAX_ERROR_BODY_CHARS ? body.substring(0, MAX_ERROR_BODY_CHARS) + "…" : body));
        }
        return new ByteArrayInputStream(response.body());
    }

    /** Nothing to release: the JDK 17 client has no close; its threads end when it is unreachable. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "JdkHttpService[" + endpoint + "]";
    }
}
