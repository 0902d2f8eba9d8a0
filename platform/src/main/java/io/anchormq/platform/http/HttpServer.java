package io.anchormq.platform.http;

import io.anchormq.platform.anchoring.AnchoringService;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** The platform's HTTP API (pekko-http): today the integrity log under {@code /log/}. */
public final class HttpServer implements AutoCloseable {

    private final ServerBinding binding;

    private HttpServer(ServerBinding binding) {
        this.binding = binding;
    }

    /** Binds the API; {@code anchoring} may be null when the integrity log is off. */
    public static HttpServer bind(ActorSystem<?> system, String host, int port, AnchoringService anchoring) {
        Route notFound = new AllDirectives() { }.complete(LogApi.error(StatusCodes.NOT_FOUND, "no such resource"));
        Route route = anchoring == null ? notFound : new AllDirectives() { }.concat(new LogApi(anchoring).route(),
                notFound);
        try {
            ServerBinding binding = Http.get(system).newServerAt(host, port).bind(route)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            return new HttpServer(binding);
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind the HTTP API to " + host + ":" + port + ": " + e, e);
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
    }
}
