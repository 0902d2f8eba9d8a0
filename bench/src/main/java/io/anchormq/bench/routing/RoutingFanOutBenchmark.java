package io.anchormq.bench.routing;

import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Param;

/**
 * One hot topic with {@code fanout} subscribers (60% exact filters, 20% with {@code +} at the device level, 20%
 * {@code #} tails, each a different client) beside the 1,000-subscription {@link SubscriptionMix} (none of which
 * matches it). One operation routes the hot topic to all of them: deliveries per second = score × fanout.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"}) // at most 11,000 subscriptions
public class RoutingFanOutBenchmark extends RoutingBenchmark {

    static final String HOT_TOPIC = "fleet/hot/hot-device/telemetry/temp";

    @Param({"1", "100", "10000"})
    public int fanout;

    private Object hot;

    @Override
    int mixSize() {
        return 1000;
    }

    @Override
    List<MixedSubscription> subscriptions(SubscriptionMix mix) {
        List<MixedSubscription> all = new ArrayList<>(mix.subscriptions());
        all.addAll(hotSubscriptions(fanout));
        return all;
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

    @Override
    void prepare(SubscriptionMix mix) {
        hot = structure.prepare(HOT_TOPIC);
    }

    @Benchmark
    public int route() {
        return structure.route(hot);
    }
}
