package io.anchormq.bench;

import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How long a JMH command measures, as a picocli {@link Mixin}: {@code --warmup-iterations}, {@code --iterations} and
 * {@code --iteration-time} (warm-up iterations are as long as measured ones). The defaults are the command's own,
 * given to the constructor, since the benchmarks differ in how long an iteration needs.
 */
public final class JmhIterations {

    @Option(names = "--warmup-iterations", description = "Default: ${DEFAULT-VALUE}.")
    int warmupIterations;

    @Option(names = "--iterations", description = "Measured iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--iteration-time", description = "Seconds per iteration (default: ${DEFAULT-VALUE}).")
    int iterationSeconds;

    public JmhIterations(int warmupIterations, int iterations, int iterationSeconds) {
        this.warmupIterations = warmupIterations;
        this.iterations = iterations;
        this.iterationSeconds = iterationSeconds;
    }

    /** JMH options with these iterations, for the command to add its benchmarks and parameters to. */
    public ChainedOptionsBuilder options() {
        return new OptionsBuilder()
                .warmupIterations(warmupIterations)
                .warmupTime(TimeValue.seconds(iterationSeconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(iterationSeconds));
    }
}
