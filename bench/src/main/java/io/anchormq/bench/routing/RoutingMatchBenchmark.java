package io.anchormq.bench.routing;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Topics routed per second against the {@link SubscriptionMix} of a given size. One operation routes one topic
 * (drawn in turn from 8,192 fleet topics) to all its subscribers.
 */
public class RoutingMatchBenchmark extends RoutingBenchmark {

    static final int TOPICS = 8192;

    @Param({"1000", "100000", "1000000"})
    public int subscriptions;

    private Object[] topics;
    private int next;

    @Override
    int mixSize() {
        return subscriptions;
    }

    @Override
    void prepare(SubscriptionMix mix) {
        String[] names = mix.topics(TOPICS, 7);
        topics = new Object[names.length];
        for (int i = 0; i < names.length; i++) {
            topics[i] = structure.prepare(names[i]);
        }
    }

    @Benchmark
    public int match() {
        Object topic = topics[next];
        next = (next + 1) & (TOPICS - 1);
        return structure.route(topic);
    }
}
