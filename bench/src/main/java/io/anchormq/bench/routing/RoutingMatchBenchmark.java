package io.anchormq.bench.routing;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Topics routed per second against the {@link SubscriptionMix} of a given size. One operation routes one topic
 * (drawn in turn from 8,192 fleet topics) to all its subscribers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RoutingMatchBenchmark {

    static final int TOPICS = 8192;

    @Param({"1000", "100000", "1000000"})
    public int subscriptions;

    @Param({"anchormq", "moquette", "linear"})
    public String router;

    private Router structure;
    private Object[] topics;
    private int next;

    @Setup
    public void load() {
        SubscriptionMix mix = SubscriptionMix.of(subscriptions, 42);
        structure = Router.loaded(router, mix.subscriptions());
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
