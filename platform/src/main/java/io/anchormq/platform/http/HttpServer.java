package io.anchormq.platform.http;

import io.anchormq.platform.anchoring.AnchoringService;
import io.anchormq.platform.identity.ApiKeys;
import io.anchormq.platform.identity.DeviceTokens;
import io.anchormq.platform.pki.PlatformCa;
import io.anchormq.platform.store.Tables;
import io.anchormq.platform.store.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The platform's HTTP API (pekko-http): the admin API under {@code /api/v1/} (described by
 * {@code /api/v1/openapi.json}) and each workspace's integrity log under {@code /log/<workspace>/}.
 */
public final class HttpServer implements AutoCloseable {

    private final ServerBinding binding;
    private final ExecutorService blocking;

    private HttpServer(ServerBinding binding, ExecutorService blocking) {
        this.binding = binding;
        this.blocking = blocking;
    }

    /**
     * Binds the API.
     *
     * @param logs a workspace's open integrity log, if it has one (none when the log is off)
     */
    public static HttpServer bind(ActorSystem<?> system, String host, int port, Tables tables, ApiKeys keys,
                                  PlatformCa pki, DeviceTokens tokens, AdminEffects effects,
                                  Function<String, Optional<AnchoringService>> logs) {
        ExecutorService blocking = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "anchormq-admin-api");
            t.setDaemon(true);
            return t;
        });
        AdminApi admin = new AdminApi(tables.workspaces(), tables.devices(), tables.credentials(), tables.acls(),
                tables.certificates(), pki, tokens, tables.apiKeys(), keys, effects, openApiDocument());
        LogApi.ReadAccess logAccess = (workspace, authorization) -> {
            Optional<Workspace> w = tables.workspaces().find(workspace);
            return w.isPresent() && (w.get().logPublicRead()
                    || keys.resolve(authorization).map(c -> c.sees(workspace)).orElse(false));
        };
        AllDirectives d = new AllDirectives() { };
        Route route = d.concat(new AdminRoute(admin, keys, blocking).route(), new LogApi(logs, logAccess).route(),
                d.complete(LogApi.error(StatusCodes.NOT_FOUND, "no such resource")));
        try {
            ServerBinding binding = Http.get(system).newServerAt(host, port).bind(route)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            return new HttpServer(binding, blocking);
        } catch (Exception e) {
            blocking.shutdownNow();
            throw new IllegalStateException("cannot bind the HTTP API to " + host + ":" + port + ": " + e, e);
        }
    }

    static String openApiDocument() {
        try (InputStream in = HttpServer.class.getResourceAsStream("/api/openapi.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return binding.localAddress().getPort();
    }

    public InetSocketAddress address() {
        return binding.localAddress();
    }

    @Override
    public void close() {
        try {
            binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the actor system's termination closes it anyway
        }
        blocking.shutdownNow();
    }
}
