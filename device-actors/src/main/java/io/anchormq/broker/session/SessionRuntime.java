package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.Publisher;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;

/** The shared, thread-safe parts every session works with. */
record SessionRuntime(
        BrokerSettings settings,
        TopicRouter router,
        RetainedStore retained,
        Publisher publisher,
        BrokerEvents events,
        AccessPolicy access,
        BrokerMetrics metrics,
        SessionStore sessions,
        IntegrityLog integrity,
        SubscriptionFence fence) {
}
