package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.WorkspaceQuotas;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.Publisher;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/** The session layer's entry point: starts the session directory and takes the connections' requests for sessions. */
public final class Sessions {

    /** Shards of the session directory: enough for connection storms to spawn sessions on every core. */
    private static final int DIRECTORY_SHARDS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private final SessionDirectories directories;
    private final BrokerMetrics metrics;
    private final AtomicInteger sessionCount = new AtomicInteger();
    private final RestartBarrier restart;

    /** @param dispatcher where the session actors run (the MQTT event loops, in the broker) */
    public Sessions(ActorSystem<?> system, BrokerSettings settings, TopicRouter router, RetainedStore retained,
                    BrokerEvents events, AccessPolicy access, BrokerMetrics metrics, SessionStore store,
                    IntegrityLog integrity, SubscriptionFence fence, DispatcherSelector dispatcher) {
        this("sessions", system, settings, router, retained, events, access, metrics, store, integrity, fence,
                dispatcher, new WorkspaceQuotas(), new AtomicInteger());
    }

    /**
     * @param name the directory's actor names start with it: unique in the actor system (one directory per
     *     workspace)
     * @param liveActors counts the directory's and the sessions' actors while they run
     */
    public Sessions(String name, ActorSystem<?> system, BrokerSettings settings, TopicRouter router,
                    RetainedStore retained, BrokerEvents events, AccessPolicy access, BrokerMetrics metrics,
                    SessionStore store, IntegrityLog integrity, SubscriptionFence fence,
                    DispatcherSelector dispatcher, WorkspaceQuotas quotas, AtomicInteger liveActors) {
        this.restart = new RestartBarrier(store.clientIds().size());
        SessionRuntime runtime = new SessionRuntime(settings, router, retained, new Publisher(router, retained), events,
                access, metrics, store, integrity, fence, quotas, restart, liveActors);
        this.metrics = metrics;
        this.directories = new SessionDirectories(name, system, runtime, sessionCount, DIRECTORY_SHARDS, dispatcher);
        restart.done().thenRun(() -> directories.tellAll(new SessionActor.RestoreComplete()));
    }

    /**
     * Completes once every session read back from the store has put its subscriptions into the router: from then
     * on a publish reaches every restored subscriber. At once when the store had none.
     */
    public CompletionStage<Void> restored() {
        return restart.done();
    }

    /** Sessions read back from the store whose subscriptions are not in the router yet. */
    public int restoring() {
        return restart.pending();
    }

    /** A connection whose CONNECT was accepted asks for its client's session; the session attaches it. */
    public void connect(ConnectRequest request) {
        directories.of(request.clientId()).tell(request);
    }

    /**
     * Stops the directory and every session, connected or not, with their timers; nothing of their state is kept
     * or published (no wills: the workspace they would go to is gone). Their clients must have been disconnected.
     */
    public void close() {
        directories.close();
    }

    /** Every session re-checks its subscriptions against the access policy (its rules changed). */
    public void recheckAccess() {
        directories.tellAll(new SessionActor.RecheckAccess());
    }

    /** The counters its sessions update. */
    public BrokerMetrics metrics() {
        return metrics;
    }

    /** Sessions that exist now, connected or not. */
    public int count() {
        return sessionCount.get();
    }
}
