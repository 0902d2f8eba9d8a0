package io.anchormq.bench.routing;

import java.util.List;
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
 * Subscribe-then-unsubscribe pairs per second on a structure already holding the {@link SubscriptionMix} of a given
 * size: one operation adds a new subscription of the same mix and removes it again, so the size stays put.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RoutingSubscribeBenchmark {

    static final int FRESH = 4096;

    @Param({"1000", "100000", "1000000"})
    public int subscriptions;

    @Param({"anchormq", "moquette", "linear"})
    public String router;

    private Router structure;
    private MixedSubscription[] fresh;
    private int next;

    @Setup
    public void load() {
        SubscriptionMix mix = SubscriptionMix.of(subscriptions, 42);
        structure = Router.loaded(router, mix.subscriptions());
        List<MixedSubscription> more = mix.freshSubscriptions(FRESH, 11);
        fresh = more.toArray(new MixedSubscription[0]);
    }

    @Benchmark
    public void subscribeUnsubscribe() {
        MixedSubscription s = fresh[next];
        next = (next + 1) & (FRESH - 1);
        structure.subscribe(s);
        structure.unsubscribe(s);
    }
}
