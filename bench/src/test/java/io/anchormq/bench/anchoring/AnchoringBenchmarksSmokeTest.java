package io.anchormq.bench.anchoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine;

/**
 * Keeps the integrity log's benchmarks working in the normal build: each JMH benchmark for one short iteration on a
 * small log, and the latency driver for a second. Scores are not checked: a timed test on a shared machine proves
 * nothing.
 */
class AnchoringBenchmarksSmokeTest {

    @TempDir
    Path logs;

    @Test
    void everyBenchmarkRuns() throws RunnerException {
        System.setProperty("anchormq.bench.dir", logs.toString());
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(LogAppendBenchmark.class.getName())
                .include(ProofBenchmark.class.getName())
                .param("size", "5000")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .shouldFailOnError(true)
                .build()).run();
        assertEquals(5, results.size(), "2 append and 3 proof benchmarks");
        for (RunResult r : results) {
            assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().toString());
        }
    }

    @Test
    void theLatencyDriverMeasuresAtAFixedRate() {
        int code = new CommandLine(new CheckpointLatencyCommand()).execute("--rate", "1000", "--duration", "1",
                "--warmup", "0", "--dir", logs.resolve("latency").toString());
        assertEquals(0, code);
    }
}
