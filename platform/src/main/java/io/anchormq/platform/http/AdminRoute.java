package io.anchormq.platform.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.platform.identity.ApiKeys;
import io.anchormq.platform.identity.Caller;
import io.anchormq.platform.store.StoreConflict;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's HTTP side: finds the endpoint of a request, checks its key, reads its body (at most
 * {@link #MAX_BODY} bytes), runs the handler on the blocking executor (handlers use the database) and answers
 * every failure as JSON {@code {"error": ..., "field": ...}}.
 */
final class AdminRoute extends AllDirectives {

    private static final Logger log = LoggerFactory.getLogger(AdminRoute.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final long MAX_BODY = 64 * 1024;

    private final AdminApi api;
    private final ApiKeys keys;
    private final Executor blocking;

    AdminRoute(AdminApi api, ApiKeys keys, Executor blocking) {
        this.api = api;
        this.keys = keys;
        this.blocking = blocking;
    }

    Route route() {
        return pathPrefix("api", () -> extractRequest(request -> {
            String method = request.method().name();
            String path = request.getUri().path();
            var match = api.match(method, path);
            if (match.isEmpty()) {
                return complete(api.hasPath(path) ? error(405, null, "method " + method + " not allowed on " + path)
                        : error(404, null, "no such endpoint: " + method + " " + path));
            }
            Optional<String> authorization = request.getHeader("Authorization").map(h -> h.value());
            Map<String, String> query = request.getUri().query().toMap();
            String contentType = request.entity().getContentType().mediaType().toString();
            return extractMaterializer(materializer -> completeWithFuture(request.entity()
                    .toStrict(10_000, MAX_BODY, materializer)
                    .thenCompose(strict -> run(match.get().getKey(), match.get().getValue(), query, authorization,
                            strict.getData().utf8String(), contentType))
                    .exceptionally(AdminRoute::unreadable)));
        }));
    }

    private CompletionStage<HttpResponse> run(AdminApi.Endpoint endpoint, Map<String, String> params,
                                              Map<String, String> query, Optional<String> authorization,
                                              String body, String contentType) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Caller caller = null;
                if (endpoint.needsKey()) {
                    Optional<Caller> c = keys.resolve(authorization);
                    if (c.isEmpty()) {
                        return error(401, null, authorization.isEmpty()
                                ? "an API key is required (Authorization: Bearer amq_...)"
                                : "the API key is not valid").addHeader(RawHeader.create("WWW-Authenticate",
                                "Bearer realm=\"anchormq\""));
                    }
                    caller = c.get();
                }
                AdminApi.ApiResponse r = endpoint.handler().apply(new ApiRequest(caller, params, query, body, contentType));
                if (r.status() == 204) {
                    return HttpResponse.create().withStatus(204);
                }
                ContentType type = ContentTypes.parse(r.contentType().contains("charset") || !r.contentType()
                        .startsWith("text") ? r.contentType() : r.contentType() + "; charset=UTF-8");
                return HttpResponse.create().withStatus(r.status())
                        .withEntity(type, r.body().getBytes(StandardCharsets.UTF_8));
            } catch (ApiError e) {
                return error(e.status, e.field, e.getMessage());
            } catch (StoreConflict e) {
                return error(409, null, e.getMessage());
            } catch (RuntimeException e) {
                log.error("admin API request failed", e);
                return error(500, null, "internal error");
            }
        }, blocking);
    }

    /** A body that could not be read: too large, or cut off. */
    private static HttpResponse unreadable(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        // toStrict's own limit fails with an EntityStreamException ("Request too large"), the server's with a size one
        if (cause instanceof EntityStreamSizeException || (cause instanceof EntityStreamException e
                && "Request too large".equals(e.info().summary()))) {
            return error(413, null, "the body is larger than " + MAX_BODY + " bytes");
        }
        log.debug("admin API request body not read: {}", cause.toString());
        return error(400, null, "the body could not be read: " + cause.getMessage());
    }

    static HttpResponse error(int status, String field, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        if (field != null) {
            n.put("field", field);
        }
        return HttpResponse.create().withStatus(StatusCodes.get(status))
                .withEntity(ContentTypes.APPLICATION_JSON, n.toString());
    }
}
