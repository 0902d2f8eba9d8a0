package io.anchormq.broker;

import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.auth.Authenticator;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.auth.DenyRules;
import io.anchormq.broker.connection.MqttChannels;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The MQTT broker core: the connections of every listener, and one {@link Workspace} per tenant (its router,
 * retained messages, sessions, presence), opened when its first client connects. Listeners call
 * {@link #initChannel} for every accepted connection; the {@link Authenticator} decides at CONNECT which workspace
 * the client belongs to.
 */
public final class Broker {

    public static final String METRICS_TOPIC = "$SYS/anchormq/metrics";

    private final ActorSystem<?> system;
    private final BrokerSettings settings;
    private final WorkspaceResources resources;
    private final DispatcherSelector dispatcher;
    private final SubscriptionFence fence = new SubscriptionFence();
    /** Counters of connections before they belong to a workspace (accepted, open, refused, protocol errors). */
    private final BrokerMetrics listenerMetrics = new BrokerMetrics();
    private final Map<String, Workspace> workspaces = new ConcurrentHashMap<>();
    private final AtomicLong generations = new AtomicLong();
    /** The workspaces' actors alive: each counts itself in at start and out when it has stopped. */
    private final AtomicInteger liveActors = new AtomicInteger();
    private final MqttChannels channels;

    /**
     * @param resources each workspace's stores, log and access policy
     * @param eventLoops the loops of the MQTT listeners' connections: the session actors run on them too
     */
    public Broker(ActorSystem<?> system, BrokerSettings settings, Authenticator authenticator,
                  WorkspaceResources resources, EventLoopGroup eventLoops) {
        this.system = system;
        this.settings = settings;
        this.resources = resources;
        this.dispatcher = EventLoopDispatcher.register(system, eventLoops);
        this.channels = new MqttChannels(settings, listenerMetrics, fence, authenticator, this::workspace,
                workspaces::get);
        workspace(ClientIdentity.DEFAULT_WORKSPACE);
    }

    /** The workspace's broker, opened now if no client of it connected since the start or since it was closed. */
    public Workspace workspace(String id) {
        return workspaces.computeIfAbsent(id, w -> new Workspace(w, generations.getAndIncrement(), system, settings,
                resources, fence, dispatcher, liveActors));
    }

    /**
     * Forgets the workspace and releases it (a workspace deleted): its clients are disconnected, its actors
     * (sessions, connected or not, their directory, presence) stopped and its timers cancelled, so its in-memory
     * state goes and a workspace made later with the same id starts empty.
     */
    public void closeWorkspace(String id) {
        // forgotten first: a client admitted from now on opens the new one, not this
        Workspace w = workspaces.remove(id);
        if (w != null) {
            w.close();
        }
        disconnect(identity -> identity.workspace().equals(id), MqttReasonCodes.Disconnect.NOT_AUTHORIZED,
                "workspace deleted");
    }

    /**
     * Disconnects every client whose identity matches (MQTT 5: DISCONNECT with {@code code}): a credential revoked,
     * a device deleted. Returns how many were told.
     */
    public int disconnect(Predicate<ClientIdentity> which, MqttReasonCodes.Disconnect code, String reason) {
        return channels.disconnect(which, code, reason);
    }

    /** The access policy the settings describe: allow all, except the configured deny rules. */
    public static AccessPolicy accessPolicyOf(BrokerSettings s) {
        if (s.denySubscribe().isEmpty() && s.denyPublish().isEmpty()) {
            return AccessPolicy.ALLOW_ALL;
        }
        return new DenyRules(s.denySubscribe(), s.denySubscribeReasonCode(), s.denyPublish(), s.denyPublishReasonCode());
    }

    /** Installs the MQTT codec and a connection handler on a freshly accepted channel. */
    public void initChannel(Channel channel) {
        channels.initChannel(channel);
    }

    /** Disconnects every client (MQTT 5: with reason 0x8B, server shutting down); sessions are not kept. */
    public void shutdown() {
        channels.disconnectAll();
        // the sessions stay for the disconnects (wills go out); they stop with the actor system
        workspaces.values().forEach(Workspace::stopPeriodicWork);
    }

    /** Publishes a message from the broker itself to the default workspace. */
    public void publish(Message message) {
        workspace(ClientIdentity.DEFAULT_WORKSPACE).publish(message);
    }

    public BrokerSettings settings() {
        return settings;
    }

    /** The default workspace's router. */
    public TopicRouter router() {
        return workspace(ClientIdentity.DEFAULT_WORKSPACE).router();
    }

    /** The default workspace's retained messages. */
    public RetainedStore retained() {
        return workspace(ClientIdentity.DEFAULT_WORKSPACE).retained();
    }

    /** The default workspace's events. */
    public BrokerEvents events() {
        return workspace(ClientIdentity.DEFAULT_WORKSPACE).events();
    }

    /** The default workspace's counters. */
    public BrokerMetrics metrics() {
        return workspace(ClientIdentity.DEFAULT_WORKSPACE).metrics();
    }

    /**
     * Connections of every workspace, and those that never got one: accepted, open, refused (by reason and
     * listener), protocol errors.
     */
    public BrokerMetrics listenerMetrics() {
        return listenerMetrics;
    }

    /** Cases where a subscription's ordering against concurrent publishes was given up (all workspaces). */
    public long subscriptionOrderGiveUps() {
        return fence.expiredTickets();
    }

    /**
     * The workspaces' actors alive now: per open workspace, its session directory's shards and presence tracker, and
     * one per session, connected or not; those of a closed workspace until they have stopped.
     */
    public int liveActors() {
        return liveActors.get();
    }

    /**
     * Completes once every open workspace's stored sessions have their subscriptions in its router again. A
     * listener opened before that could take a publish that misses a restored subscriber not yet back.
     */
    public CompletionStage<Void> restored() {
        return CompletableFuture.allOf(workspaces.values().stream()
                .map(w -> w.sessions().restored().toCompletableFuture())
                .toArray(CompletableFuture[]::new));
    }

    /** Stored sessions of the open workspaces whose subscriptions are not back in the router yet. */
    public int restoring() {
        return workspaces.values().stream().mapToInt(w -> w.sessions().restoring()).sum();
    }

    /** The default workspace's sessions. */
    public int sessionCount() {
        return workspace(ClientIdentity.DEFAULT_WORKSPACE).sessionCount();
    }
}
