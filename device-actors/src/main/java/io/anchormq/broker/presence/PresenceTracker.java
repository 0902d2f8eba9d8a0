package io.anchormq.broker.presence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.Publisher;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Knows, per client id, whether it is online, since when, and why it last went away, and publishes that as a
 * retained JSON message on {@code <prefix><client id>}. Session versions order the events: an event older than the
 * newest one seen for the client (a late disconnect of a taken-over connection, say) is ignored.
 *
 * <p>Offline clients are remembered up to a limit: client ids are the client's choice, and a broker that kept every
 * id it was ever shown could be made to grow without end. Past the limit, the client offline longest is forgotten.
 */
public final class PresenceTracker extends AbstractBehavior<BrokerEvent> {

    /** What is known of one client. */
    public record Presence(String clientId, boolean online, Instant since, long sessionVersion, String protocol,
                           String reason, boolean generatedId) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PUBLISHER = "$anchormq/presence";

    private final Publisher publisher;
    private final RetainedStore retained;
    private final String topicPrefix;
    private final int maxOffline;
    private final LongAdder forgotten;
    private final AtomicInteger liveActors;
    private final Map<String, Presence> presence = new HashMap<>();
    /** Offline client ids, the one offline longest first. */
    private final LinkedHashSet<String> offline = new LinkedHashSet<>();

    /**
     * @param maxOffline offline clients remembered at most
     * @param forgotten counts the offline clients forgotten for the limit
     * @param liveActors counts this actor while it runs
     */
    public static Behavior<BrokerEvent> create(Publisher publisher, RetainedStore retained, String topicPrefix,
                                               int maxOffline, LongAdder forgotten, AtomicInteger liveActors) {
        return Behaviors.supervise(Behaviors.<BrokerEvent>setup(
                        ctx -> new PresenceTracker(ctx, publisher, retained, topicPrefix, maxOffline, forgotten,
                                liveActors)))
                .onFailure(SupervisorStrategy.resume());
    }

    private PresenceTracker(ActorContext<BrokerEvent> context, Publisher publisher, RetainedStore retained,
                            String topicPrefix, int maxOffline, LongAdder forgotten, AtomicInteger liveActors) {
        super(context);
        this.publisher = publisher;
        this.retained = retained;
        this.topicPrefix = topicPrefix;
        this.maxOffline = maxOffline;
        this.forgotten = forgotten;
        this.liveActors = liveActors;
        liveActors.incrementAndGet();
        restore();
    }

    /**
     * Takes up what the retained presence messages of a durable store say. A client they show online was
     * connected when the broker went down: its connection ended then, so it is offline now, for that reason.
     */
    private void restore() {
        List<Presence> known = new ArrayList<>();
        for (Message m : retained.matching(topicPrefix + "#")) {
            try {
                JsonNode j = JSON.readTree(m.payload());
                known.add(new Presence(j.path("clientId").asText(), j.path("online").asBoolean(),
                        Instant.parse(j.path("since").asText()), j.path("sessionVersion").asLong(),
                        j.hasNonNull("protocol") ? j.get("protocol").asText() : null,
                        j.hasNonNull("reason") ? j.get("reason").asText() : null, false));
            } catch (IOException | RuntimeException e) {
                getContext().getLog().warn("presence message on {} not readable, ignored: {}", m.topic(), e.toString());
            }
        }
        known.sort(Comparator.comparing(Presence::since));
        Instant now = Instant.now();
        for (Presence p : known) {
            if (p.online()) {
                p = new Presence(p.clientId(), false, now, p.sessionVersion(), p.protocol(), "broker restarted",
                        false);
                update(p);
            } else {
                presence.put(p.clientId(), p);
            }
            offline.add(p.clientId());
        }
    }

    @Override
    public Receive<BrokerEvent> createReceive() {
        return newReceiveBuilder()
                .onMessage(BrokerEvent.Connected.class, this::onConnected)
                .onMessage(BrokerEvent.Disconnected.class, this::onDisconnected)
                .onMessage(BrokerEvent.MessageAccepted.class, m -> this)
                .onSignal(PostStop.class, s -> {
                    liveActors.decrementAndGet();
                    return this;
                })
                .build();
    }

    private Behavior<BrokerEvent> onConnected(BrokerEvent.Connected e) {
        Presence known = presence.get(e.clientId());
        if (known != null && known.sessionVersion() > e.sessionVersion()) {
            return Behaviors.same();
        }
        offline.remove(e.clientId());
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
            forget(e.clientId());
            return Behaviors.same();
        }
        offline.add(e.clientId()); // it was online (or unknown) before, so it goes to the end: offline newest
        if (offline.size() > maxOffline) {
            Iterator<String> longest = offline.iterator();
            String id = longest.next();
            longest.remove();
            forget(id);
            forgotten.increment();
        }
        return Behaviors.same();
    }

    /** Drops what is known of an offline client and deletes its retained presence message. */
    private void forget(String clientId) {
        presence.remove(clientId);
        retained.accept(new Message(topicPrefix + clientId, 1, true, new byte[0], List.of(), PUBLISHER,
                Message.NEVER));
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
        publisher.publish(m);
    }
}
