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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shared, thread-safe parts every session works with.
 *
 * @param liveActors the broker's count of workspace actors alive (directory shards and sessions count themselves
 *     in at start and out when they stop): what shows that a closed workspace left nothing running
 */
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
        SubscriptionFence fence,
        WorkspaceQuotas quotas,
        RestartBarrier restart,
        AtomicInteger liveActors) {

    /** The bound of a new session's queue: the workspace's quota if it has one, else the broker's setting. */
    int queueBound() {
        int quota = quotas.maxQueuedMessages();
        return quota > 0 ? quota : settings.maxQueuedMessages();
    }

    /** The bound of a session's queue of stored deliveries (most of which wait on disk). */
    int storedQueueBound() {
        int quota = quotas.maxQueuedMessages();
        return quota > 0 ? quota : settings.maxStoredMessages();
    }
}
