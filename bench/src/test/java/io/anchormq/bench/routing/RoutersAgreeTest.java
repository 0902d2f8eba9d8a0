package io.anchormq.bench.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The ratios only mean something if every router makes the same deliveries on the same data. */
class RoutersAgreeTest {

    private static final List<String> ROUTERS = List.of("anchormq", "moquette", "linear");

    @Test
    void sameDeliveriesForEveryTopicOfTheMix() {
        SubscriptionMix mix = SubscriptionMix.of(20_000, 42);
        String[] topics = mix.topics(500, 7);
        int[][] counts = new int[ROUTERS.size()][];
        for (int r = 0; r < ROUTERS.size(); r++) {
            Router router = Router.loaded(ROUTERS.get(r), mix.subscriptions());
            counts[r] = new int[topics.length];
            for (int t = 0; t < topics.length; t++) {
                counts[r][t] = router.route(router.prepare(topics[t]));
            }
        }
        long total = 0;
        for (int t = 0; t < topics.length; t++) {
            assertEquals(counts[2][t], counts[0][t], "anchormq vs linear on " + topics[t]);
            assertEquals(counts[2][t], counts[1][t], "moquette vs linear on " + topics[t]);
            total += counts[0][t];
        }
        assertTrue(total > topics.length, "the mix should give more than one delivery per topic on average: " + total);
    }

    @Test
    void subscribeThenUnsubscribeLeavesTheDeliveriesAsTheyWere() {
        SubscriptionMix mix = SubscriptionMix.of(2_000, 42);
        String[] topics = mix.topics(200, 7);
        List<MixedSubscription> fresh = mix.freshSubscriptions(500, 11);
        for (String name : ROUTERS) {
            Router router = Router.loaded(name, mix.subscriptions());
            int[] before = new int[topics.length];
            for (int t = 0; t < topics.length; t++) {
                before[t] = router.route(router.prepare(topics[t]));
            }
            for (MixedSubscription s : fresh) {
                router.subscribe(s);
                router.unsubscribe(s);
            }
            for (int t = 0; t < topics.length; t++) {
                assertEquals(before[t], router.route(router.prepare(topics[t])), name + " on " + topics[t]);
            }
        }
    }

    @Test
    void hotTopicReachesExactlyItsFanOut() {
        for (String name : ROUTERS) {
            List<MixedSubscription> all = new java.util.ArrayList<>(SubscriptionMix.of(1000, 42).subscriptions());
            all.addAll(RoutingFanOutBenchmark.hotSubscriptions(100));
            Router router = Router.loaded(name, all);
            assertEquals(100, router.route(router.prepare(RoutingFanOutBenchmark.HOT_TOPIC)), name);
        }
    }
}
