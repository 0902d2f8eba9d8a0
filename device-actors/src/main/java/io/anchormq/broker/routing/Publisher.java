package io.anchormq.broker.routing;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.retained.RetainedStore;
import java.util.List;

/**
 * The one way a message accepted by the broker goes out: stored as the topic's retained message when flagged, then
 * routed to the subscribers. Retained first, so that a subscriber arriving meanwhile finds it in the store, if it
 * did not get it from the router. Thread-safe, like the router and the store it writes to.
 */
public final class Publisher {

    private final TopicRouter router;
    private final RetainedStore retained;

    public Publisher(TopicRouter router, RetainedStore retained) {
        this.router = router;
        this.retained = retained;
    }

    /** Retains (if flagged) and routes; returns the number of deliveries. */
    public int publish(Message message) {
        return publish(message, null);
    }

    /**
     * Retains (if flagged) and routes, collecting congested recipients as {@link TopicRouter#route(Message, List)}
     * does; returns the number of deliveries.
     */
    public int publish(Message message, List<Subscriber> congested) {
        if (message.retain()) {
            retained.accept(message);
        }
        return router.route(message, congested);
    }
}
