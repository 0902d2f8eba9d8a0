package io.anchormq.bench.routing;

import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * What the routing benchmarks share: operations per second in one fork (a fixed heap and the parallel collector, so
 * that the routers' garbage costs the same for all), 3 warm-up and 5 measured iterations of 2 s, the router as a
 * parameter, and one setup that loads it with a {@link SubscriptionMix} (seed 42: every router gets the same data).
 * JMH reads the annotations, the parameter and the setup through the subclasses.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public abstract class RoutingBenchmark {

    @Param({"anchormq", "moquette", "linear"})
    public String router;

    Router structure;

    @Setup
    public void load() {
        SubscriptionMix mix = SubscriptionMix.of(mixSize(), 42);
        structure = Router.loaded(router, subscriptions(mix));
        prepare(mix);
    }

    /** How many subscriptions the mix has. */
    abstract int mixSize();

    /** What the router holds while it is measured: the mix's subscriptions, unless a benchmark adds to them. */
    List<MixedSubscription> subscriptions(SubscriptionMix mix) {
        return mix.subscriptions();
    }

    /** Makes what the measured operation uses, once {@link #structure} is loaded. */
    abstract void prepare(SubscriptionMix mix);
}
