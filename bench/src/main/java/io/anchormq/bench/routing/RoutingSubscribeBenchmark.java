package io.anchormq.bench.routing;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Subscribe-then-unsubscribe pairs per second on a structure already holding the {@link SubscriptionMix} of a given
 * size: one operation adds a new subscription of the same mix and removes it again, so the size stays put.
 */
public class RoutingSubscribeBenchmark extends RoutingBenchmark {

    static final int FRESH = 4096;

    @Param({"1000", "100000", "1000000"})
    public int subscriptions;

    private MixedSubscription[] fresh;
    private int next;

    @Override
    int mixSize() {
        return subscriptions;
    }

    @Override
    void prepare(SubscriptionMix mix) {
        fresh = mix.freshSubscriptions(FRESH, 11).toArray(new MixedSubscription[0]);
    }

    @Benchmark
    public void subscribeUnsubscribe() {
        MixedSubscription s = fresh[next];
        next = (next + 1) & (FRESH - 1);
        structure.subscribe(s);
        structure.unsubscribe(s);
    }
}
