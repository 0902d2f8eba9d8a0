package io.anchormq.bench.anchoring;

import io.anchormq.bench.JmhIterations;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the integrity log's JMH benchmarks: durable append throughput, proof generation and verification. */
@Command(name = "anchoring", mixinStandardHelpOptions = true,
        description = "Run the integrity log's JMH benchmarks: durable appends (entries/s, fsync on), proof files"
                + " and their verification over a large log (us/op).")
public final class AnchoringCommand implements Callable<Integer> {

    @Option(names = "--benchmarks", split = ",", defaultValue = "append,proof",
            description = "Which: append, proof (default: ${DEFAULT-VALUE}).")
    List<String> benchmarks;

    @Option(names = "--log-size", defaultValue = "10000000",
            description = "Entries in the log the proof benchmarks use (built once, then reused; default: "
                    + "${DEFAULT-VALUE}).")
    long logSize;

    @Option(names = "--log-dir", defaultValue = "target/bench-logs",
            description = "Where the proof benchmarks keep their log (default: ${DEFAULT-VALUE}).")
    Path logDir;

    @Mixin
    JmhIterations iterations = new JmhIterations(2, 5, 5);

    @Option(names = "--json", description = "Also write JMH's JSON results to this file.")
    Path json;

    @Override
    public Integer call() throws RunnerException {
        ChainedOptionsBuilder options = iterations.options()
                .param("size", Long.toString(logSize))
                .jvmArgsAppend("-Danchormq.bench.dir=" + logDir.toAbsolutePath());
        for (String b : benchmarks) {
            options.include(switch (b) {
                case "append" -> LogAppendBenchmark.class.getName();
                case "proof" -> ProofBenchmark.class.getName();
                default -> throw new IllegalArgumentException("unknown benchmark " + b);
            });
        }
        if (json != null) {
            options.result(json.toString()).resultFormat(ResultFormatType.JSON);
        }
        new Runner(options.build()).run();
        return 0;
    }
}
