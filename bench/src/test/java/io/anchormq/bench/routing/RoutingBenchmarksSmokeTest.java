package io.anchormq.bench.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Keeps the JMH benchmarks working in the normal build: every benchmark, every router, the smallest data set, one
 * 100 ms iteration in this JVM. Scores are not checked: a timed test on a shared machine proves nothing.
 */
class RoutingBenchmarksSmokeTest {

    @Test
    void everyBenchmarkRunsForEveryRouter() throws RunnerException {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(RoutingMatchBenchmark.class.getName())
                .include(RoutingSubscribeBenchmark.class.getName())
                .include(RoutingFanOutBenchmark.class.getName())
                .param("subscriptions", "1000")
                .param("fanout", "100")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .build()).run();
        assertEquals(9, results.size(), "3 benchmarks × 3 routers");
        for (RunResult r : results) {
            assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().toString());
        }
        String table = RoutingRatios.of(results).markdown();
        assertTrue(table.contains("match (topics/s) | 1,000 subscriptions"), table);
        assertTrue(table.contains("fan-out 100"), table);
    }
}
