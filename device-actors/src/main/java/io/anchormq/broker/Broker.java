package io.anchormq.broker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.auth.DenyRules;
import io.anchormq.broker.connection.MqttChannels;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.presence.PresenceTracker;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.Publisher;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;
import io.anchormq.broker.session.SessionStore;
import io.anchormq.broker.session.Sessions;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * The MQTT broker core, wired together: topic router, retained store, session actors, the event stream and its
 * first consumer, the presence tracker. Listeners call {@link #initChannel} for every accepted connection.
 */
public final class Broker {

    public static final String METRICS_TOPIC = "$SYS/anchormq/metrics";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BrokerSettings settings;
    private final TopicRouter router = new TopicRouter();
    private final RetainedStore retained;
    private final BrokerEvents events = new BrokerEvents();
    private final BrokerMetrics metrics = new BrokerMetrics();
    private final Publisher publisher;
    private final SubscriptionFence fence = new SubscriptionFence();
    private final Sessions sessions;
    private final MqttChannels channels;

    /**
     * @param integrity where publishes that must be provable later are logged
     * @param eventLoops the loops of the MQTT listeners' connections: the session actors run on them too
     */
    public Broker(ActorSystem<?> system, BrokerSettings settings, AccessPolicy access, SessionStore sessionStore,
                  RetainedStore retained, IntegrityLog integrity, EventLoopGroup eventLoops) {
        this.settings = settings;
        this.retained = retained;
        this.publisher = new Publisher(router, retained);
        this.sessions = new Sessions(system, settings, router, retained, events, access, metrics, sessionStore,
                integrity, fence, EventLoopDispatcher.register(system, eventLoops));
        this.channels = new MqttChannels(settings, metrics, access, fence, sessions);
        ActorRef<BrokerEvent> presence = system.systemActorOf(
                PresenceTracker.create(publisher, retained, settings.presenceTopicPrefix(),
                        settings.presenceMaxOfflineClients(), metrics.presenceForgotten), "presence", Props.empty());
        events.subscribeToLifecycle(presence);
        Duration every = settings.metricsInterval();
        if (!every.isZero()) {
            system.scheduler().scheduleAtFixedRate(every, every, this::publishMetrics, system.executionContext());
        }
    }

    /** Publishes the counters, retained, as JSON on {@code $SYS/anchormq/metrics}. */
    void publishMetrics() {
        ObjectNode json = JSON.createObjectNode();
        metrics.snapshot().forEach(json::put);
        json.put("sessions", sessions.count());
        json.put("subscriptions", router.subscriptionCount());
        json.put("retainedMessages", retained.size());
        json.put("subscriptionOrderGiveUps", fence.expiredTickets());
        json.put("at", Instant.now().toString());
        publish(new Message(METRICS_TOPIC, 0, true, json.toString().getBytes(StandardCharsets.UTF_8), List.of(),
                "$anchormq/metrics", Message.NEVER));
    }

    /** Publishes a message from the broker itself: retained if flagged, then routed to subscribers. */
    public void publish(Message message) {
        publisher.publish(message);
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
    }

    public BrokerSettings settings() {
        return settings;
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

    public int sessionCount() {
        return sessions.count();
    }
}
