package io.anchormq.broker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.presence.PresenceTracker;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.Publisher;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;
import io.anchormq.broker.session.Sessions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * One tenant's broker: its own topic router, retained messages, sessions (client ids are unique per workspace),
 * event stream, presence and {@code $SYS} topics, and counters. Nothing here is reachable from another workspace's
 * clients: a client is attached to exactly one workspace at CONNECT and only ever meets these structures.
 */
public final class Workspace {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final TopicRouter router = new TopicRouter();
    private final RetainedStore retained;
    private final BrokerEvents events = new BrokerEvents();
    private final BrokerMetrics metrics = new BrokerMetrics();
    private final Publisher publisher;
    private final WorkspaceQuotas quotas = new WorkspaceQuotas();
    private final Sessions sessions;
    private final ActorSystem<?> system;
    private final ActorRef<BrokerEvent> presence;
    private final Cancellable metricsPublication;
    private volatile boolean closed;

    /**
     * @param generation how many workspaces the broker opened before: its actors' names must not be those of a
     *     workspace of the same id closed earlier (actor names are unique per actor system)
     * @param liveActors the broker's count of workspace actors alive: this one's count themselves in and out
     */
    Workspace(String id, long generation, ActorSystem<?> system, BrokerSettings settings, WorkspaceResources resources,
              SubscriptionFence fence, DispatcherSelector dispatcher, AtomicInteger liveActors) {
        this.id = id;
        this.system = system;
        this.retained = resources.retainedStore(id);
        this.publisher = new Publisher(router, retained);
        String name = URLEncoder.encode(id, StandardCharsets.UTF_8) + "~" + generation;
        this.sessions = new Sessions(
                ClientIdentity.DEFAULT_WORKSPACE.equals(id) && generation == 0 ? "sessions" : "sessions-" + name,
                system,
                settings, router, retained, events, resources.accessPolicy(id), metrics, resources.sessionStore(id),
                resources.integrityLog(id), fence, dispatcher, quotas, liveActors);
        presence = system.systemActorOf(
                PresenceTracker.create(publisher, retained, settings.presenceTopicPrefix(),
                        settings.presenceMaxOfflineClients(), metrics.presenceForgotten, liveActors),
                "presence-" + name, Props.empty());
        events.subscribeToLifecycle(presence);
        Duration every = settings.metricsInterval();
        metricsPublication = every.isZero() ? null
                : system.scheduler().scheduleAtFixedRate(every, every, this::publishMetrics, system.executionContext());
    }

    /** Publishes this workspace's counters, retained, as JSON on {@code $SYS/anchormq/metrics}. */
    void publishMetrics() {
        ObjectNode json = JSON.createObjectNode();
        metrics.snapshot().forEach(json::put);
        ObjectNode refused = json.putObject("connectionsRefusedBy");
        metrics.refusals.byReason().forEach(refused::put);
        json.put("sessions", sessions.count());
        json.put("subscriptions", router.subscriptionCount());
        json.put("retainedMessages", retained.size());
        json.put("at", Instant.now().toString());
        publish(new Message(Broker.METRICS_TOPIC, 0, true, json.toString().getBytes(StandardCharsets.UTF_8),
                List.of(), "$anchormq/metrics", Message.NEVER));
    }

    /** Publishes a message from the broker itself to this workspace: retained if flagged, then routed. */
    public void publish(Message message) {
        publisher.publish(message);
    }

    /**
     * Its access policy's rules changed: every session drops the subscriptions they no longer allow (publishes are
     * checked against the rules in force each time anyway). No cache to expire, no reconnect needed.
     */
    public void accessRulesChanged() {
        sessions.recheckAccess();
    }

    /**
     * Releases the workspace (it was deleted): its metrics timer, presence tracker, session directory and every
     * session, connected or not, stop with their timers, so that nothing holds its router, retained messages,
     * sessions or counters once the connections of its clients, disconnected before, have closed. Nothing of it is
     * published any more (no wills, no presence): nobody is left to receive it.
     */
    void close() {
        closed = true;
        stopPeriodicWork();
        events.unsubscribe(presence);
        // a system actor whose protocol is the event stream's, with no message of ours to stop on: the system stops it
        Adapter.toClassic(system).stop(Adapter.toClassic(presence));
        sessions.close();
    }

    /** Stops its periodic work (the broker shuts down; its sessions go with the actor system). */
    void stopPeriodicWork() {
        if (metricsPublication != null) {
            metricsPublication.cancel();
        }
    }

    /** Whether it was closed: a client authenticated into it just before must not have a session any more. */
    public boolean isClosed() {
        return closed;
    }

    public String id() {
        return id;
    }

    public TopicRouter router() {
        return router;
    }

    public RetainedStore retained() {
        return retained;
    }

    public BrokerEvents events() {
        return events;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    /** Its quotas in force; the platform changes them when the workspace's are changed. */
    public WorkspaceQuotas quotas() {
        return quotas;
    }

    public Sessions sessions() {
        return sessions;
    }

    /** Sessions that exist now, connected or not. */
    public int sessionCount() {
        return sessions.count();
    }
}
