package io.anchormq.bench.routing;

import io.anchormq.bench.JmhIterations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the routing benchmarks through JMH and prints the anchormq / Moquette / linear ratios. */
@Command(name = "routing", mixinStandardHelpOptions = true,
        description = "Run the JMH routing benchmarks (match, subscribe/unsubscribe, fan-out) for anchormq's "
                + "TopicRouter, Moquette's CTrie and a linear matcher on the same data, and print the ratios.")
public final class RoutingCommand implements Callable<Integer> {

    @Option(names = "--benchmarks", split = ",", defaultValue = "match,subscribe,fanout",
            description = "Which benchmarks: match, subscribe, fanout (default: ${DEFAULT-VALUE}).")
    List<String> benchmarks;

    @Option(names = "--sizes", split = ",", defaultValue = "1000,100000,1000000",
            description = "Subscription counts for match and subscribe (default: ${DEFAULT-VALUE}).")
    List<String> sizes;

    @Option(names = "--fanouts", split = ",", defaultValue = "1,100,10000",
            description = "Subscribers of the hot topic for fanout (default: ${DEFAULT-VALUE}).")
    List<String> fanouts;

    @Option(names = "--routers", split = ",", defaultValue = "anchormq,moquette,linear",
            description = "Routers to measure (default: ${DEFAULT-VALUE}).")
    List<String> routers;

    @Option(names = "--forks", defaultValue = "1", description = "JMH forks per data point (default: ${DEFAULT-VALUE}).")
    int forks;

    @Mixin
    JmhIterations iterations = new JmhIterations(3, 5, 2);

    @Option(names = "--json", description = "Also write JMH's own JSON results to this file.")
    Path json;

    @Option(names = "--markdown", description = "Also write the ratio table (Markdown) to this file.")
    Path markdown;

    @Override
    public Integer call() throws RunnerException, IOException {
        ChainedOptionsBuilder options = iterations.options()
                .forks(forks)
                .param("router", routers.toArray(new String[0]))
                .param("subscriptions", sizes.toArray(new String[0]))
                .param("fanout", fanouts.toArray(new String[0]));
        for (String b : benchmarks) {
            options.include(switch (b) {
                case "match" -> RoutingMatchBenchmark.class.getName();
                case "subscribe" -> RoutingSubscribeBenchmark.class.getName();
                case "fanout" -> RoutingFanOutBenchmark.class.getName();
                default -> throw new IllegalArgumentException("unknown benchmark " + b);
            });
        }
        if (json != null) {
            options.result(json.toString()).resultFormat(ResultFormatType.JSON);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        String table = RoutingRatios.of(results).markdown();
        System.out.println();
        System.out.println(table);
        if (markdown != null) {
            Files.writeString(markdown, table);
        }
        return 0;
    }
}
