package io.anchormq.bench.routing;

import java.util.ArrayList;
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
 * One hot topic with {@code fanout} subscribers (60% exact filters, 20% with {@code +} at the device level, 20%
 * {@code #} tails, each a different client) beside the 1,000-subscription {@link SubscriptionMix} (none of which matches it). One operation
 * routes the hot topic to all of them: deliveries per second = score × fanout.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RoutingFanOutBenchmark {

    static final String HOT_TOPIC = "fleet/hot/hot-device/telemetry/temp";

    @Param({"1", "100", "10000"})
    public int fanout;

    @Param({"anchormq", "moquette", "linear"})
    public String router;

    private Router structure;
    private Object hot;

    @Setup
    public void load() {
        List<MixedSubscription> all = new ArrayList<>(SubscriptionMix.of(1000, 42).subscriptions());
        all.addAll(hotSubscriptions(fanout));
        structure = Router.loaded(router, all);
        hot = structure.prepare(HOT_TOPIC);
    }

    static List<MixedSubscription> hotSubscriptions(int count) {
        List<MixedSubscription> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int slot = i % 10;
            String filter = slot < 6 ? HOT_TOPIC : slot < 8 ? "fleet/hot/+/telemetry/temp" : "fleet/hot/hot-device/#";
            out.add(new MixedSubscription("fan-" + i, null, filter, 0));
        }
        return out;
    }

    @Benchmark
    public int route() {
        return structure.route(hot);
    }
}
