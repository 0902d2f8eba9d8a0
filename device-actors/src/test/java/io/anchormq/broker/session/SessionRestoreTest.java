package io.anchormq.broker.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.EventLoopDispatcher;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.routing.Subscription;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sessions read back from a store at start: {@link Sessions#restored()}, which the platform waits for before its
 * listeners open, completes only once every one of them has its subscriptions in the router, so that no publish
 * taken after it can miss a restored subscriber.
 */
class SessionRestoreTest {

    private final ActorTestKit kit = ActorTestKit.create();
    /** Two loops, as on a two-core broker: restores run on both, in no particular order. */
    private final EventLoopGroup eventLoops = new NioEventLoopGroup(2);
    private final BrokerSettings settings = BrokerSettings.from(ConfigFactory.defaultReference().resolve());
    private final TopicRouter router = new TopicRouter();

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
        eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private Sessions start(SessionStore store) {
        return new Sessions(kit.system(), settings, router, new InMemoryRetainedStore(), new BrokerEvents(),
                AccessPolicy.ALLOW_ALL, new BrokerMetrics(), store, new TestIntegrityLog(), new SubscriptionFence(),
                EventLoopDispatcher.register(kit.system(), eventLoops));
    }

    /** A store of {@code n} offline persistent sessions, each subscribed to a topic of its own and to one shared. */
    private static InMemorySessionStore storeWith(int n) {
        InMemorySessionStore store = new InMemorySessionStore();
        for (int i = 0; i < n; i++) {
            SessionState s = store.open("device-" + i);
            s.existed = true;
            s.sessionExpiry = 3600;
            s.subscriptions.put("cmd/" + i, new Subscription(null, "cmd/" + i, 1, false, false, 0, 0));
            s.subscriptions.put("all/#", new Subscription(null, "all/#", 1, false, false, 0, 0));
        }
        return store;
    }

    @Test
    void restoredCompletesOnlyWhenEveryStoredSubscriptionIsInTheRouter() throws Exception {
        int n = 20_000;
        Sessions sessions = start(storeWith(n));

        sessions.restored().toCompletableFuture().get(60, TimeUnit.SECONDS);

        // read at the moment of completion: nothing restores after it
        assertEquals(2 * n, router.subscriptionCount());
        assertEquals(0, sessions.restoring());
        assertEquals(n, sessions.count());
    }

    @Test
    void withNothingStoredRestoredIsCompleteAtOnce() {
        Sessions sessions = start(new InMemorySessionStore());

        assertTrue(sessions.restored().toCompletableFuture().isDone());
        assertEquals(0, sessions.restoring());
    }
}
