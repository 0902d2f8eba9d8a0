package io.anchormq.broker.events;

import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Fan-out of {@link BrokerEvent}s to consumer actors. Publishing is a plain loop of {@code tell}s from the
 * session that produced the event, so per-session order is kept and no central actor sits on the path of every
 * message.
 */
public final class BrokerEvents {

    private final CopyOnWriteArrayList<ActorRef<BrokerEvent>> all = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<ActorRef<BrokerEvent>> lifecycleOnly = new CopyOnWriteArrayList<>();

    /** Receives every event, message events included. */
    public void subscribe(ActorRef<BrokerEvent> consumer) {
        all.addIfAbsent(consumer);
    }

    /** Receives connection events only, so a presence consumer is not woken for every message. */
    public void subscribeToLifecycle(ActorRef<BrokerEvent> consumer) {
        lifecycleOnly.addIfAbsent(consumer);
    }

    public void unsubscribe(ActorRef<BrokerEvent> consumer) {
        all.remove(consumer);
        lifecycleOnly.remove(consumer);
    }

    public boolean hasMessageConsumers() {
        return !all.isEmpty();
    }

    public void publish(BrokerEvent event) {
        for (ActorRef<BrokerEvent> consumer : all) {
            consumer.tell(event);
        }
        if (!(event instanceof BrokerEvent.MessageAccepted)) {
            for (ActorRef<BrokerEvent> consumer : lifecycleOnly) {
                consumer.tell(event);
            }
        }
    }
}
