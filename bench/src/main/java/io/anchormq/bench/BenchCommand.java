package io.anchormq.bench;

import io.anchormq.bench.loadgen.LoadCommand;
import io.anchormq.bench.peers.MoquetteLauncher;
import io.anchormq.bench.routing.RoutingCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar anchormq-bench.jar <load|routing|moquette> ...}: the instruments of the bench module. */
@Command(name = "anchormq-bench", mixinStandardHelpOptions = true,
        subcommands = {LoadCommand.class, RoutingCommand.class, MoquetteLauncher.class},
        description = "anchormq's benchmark instruments: an MQTT load generator (load), the JMH routing "
                + "benchmarks (routing) and an embedded Moquette broker to compare against (moquette).")
public final class BenchCommand {

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }
}
