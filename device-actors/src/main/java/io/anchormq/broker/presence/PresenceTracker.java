package io.anchormq.broker.presence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.TopicRouter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Knows, per client id, whether it is online, since when, and why it last went away, and publishes that as a
 * retained JSON message on {@code <prefix><client id>}. Session versions order the events: an event older than the
 * newest one seen for the client (a late disconnect of a taken-over connection, say) is ignored.
 */
public final class PresenceTracker extends AbstractBehavior<BrokerEvent> {

    /** What is known of one client. */
    public record Presence(String clientId, boolean online, Instant since, long sessionVersion, String protocol,
                           String reason, boolean generatedId) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PUBLISHER = "$anchormq/presence";

    private final TopicRouter router;
    private final RetainedStore retained;
    private final String topicPrefix;
    private final Map<String, Presence> presence = new HashMap<>();

    public static Behavior<BrokerEvent> create(TopicRouter router, RetainedStore retained, String topicPrefix) {
        return Behaviors.supervise(Behaviors.<BrokerEvent>setup(
                        ctx -> new PresenceTracker(ctx, router, retained, topicPrefix)))
                .onFailure(SupervisorStrategy.resume());
    }

    private PresenceTracker(ActorContext<BrokerEvent> context, TopicRouter router, RetainedStore retained,
                            String topicPrefix) {
        super(context);
        this.router = router;
        this.retained = retained;
        this.topicPrefix = topicPrefix;
    }

    @Override
    public Receive<BrokerEvent> createReceive() {
        return newReceiveBuilder()
                .onMessage(BrokerEvent.Connected.class, this::onConnected)
                .onMessage(BrokerEvent.Disconnected.class, this::onDisconnected)
                .onMessage(BrokerEvent.MessageAccepted.class, m -> this)
                .build();
    }

    private Behavior<BrokerEvent> onConnected(BrokerEvent.Connected e) {
        Presence known = presence.get(e.clientId());
        if (known != null && known.sessionVersion() > e.sessionVersion()) {
            return Behaviors.same();
        }
        update(new Presence(e.clientId(), true, e.at(), e.sessionVersion(), e.protocol(), null, e.generatedId()));
        return Behaviors.same();
    }

    private Behavior<BrokerEvent> onDisconnected(BrokerEvent.Disconnected e) {
        Presence known = presence.get(e.clientId());
        if (known != null && (known.sessionVersion() > e.sessionVersion() || !known.online())) {
            return Behaviors.same();
        }
        String protocol = known == null ? null : known.protocol();
        boolean generated = known != null && known.generatedId();
        update(new Presence(e.clientId(), false, e.at(), e.sessionVersion(), protocol, e.reason(), generated));
        if (generated) {
            // a broker-made id never comes back: live subscribers saw it go, but nothing is kept for it
            presence.remove(e.clientId());
            retained.accept(new Message(topicPrefix + e.clientId(), 1, true, new byte[0], List.of(), PUBLISHER,
                    Message.NEVER));
        }
        return Behaviors.same();
    }

    private void update(Presence p) {
        presence.put(p.clientId(), p);
        ObjectNode json = JSON.createObjectNode();
        json.put("clientId", p.clientId());
        json.put("online", p.online());
        json.put("since", p.since().toString());
        json.put("sessionVersion", p.sessionVersion());
        if (p.protocol() != null) {
            json.put("protocol", p.protocol());
        }
        if (p.reason() != null) {
            json.put("reason", p.reason());
        }
        Message m = new Message(topicPrefix + p.clientId(), 1, true,
                json.toString().getBytes(StandardCharsets.UTF_8), List.of(), PUBLISHER, Message.NEVER);
        retained.accept(m);
        router.route(m);
    }
}
