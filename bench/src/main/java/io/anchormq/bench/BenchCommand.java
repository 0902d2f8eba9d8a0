package io.anchormq.bench;

import io.anchormq.bench.anchoring.AnchoringCommand;
import io.anchormq.bench.anchoring.CheckpointLatencyCommand;
import io.anchormq.bench.loadgen.LoadCommand;
import io.anchormq.bench.peers.MoquetteLauncher;
import io.anchormq.bench.profile.HotMethodsCommand;
import io.anchormq.bench.routing.RoutingCommand;
import io.anchormq.bench.sidebyside.CompareCommand;
import io.anchormq.bench.state.FillStateCommand;
import io.anchormq.bench.state.KillCyclesCommand;
import io.anchormq.bench.state.RestartTimeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar anchormq-bench.jar <load|routing|moquette|compare|hot-methods|anchoring|anchoring-latency|fill-state|
 * restart-time|kill-cycles> ...}:
 * the instruments of the bench module.
 */
@Command(name = "anchormq-bench", mixinStandardHelpOptions = true,
        subcommands = {LoadCommand.class, RoutingCommand.class, MoquetteLauncher.class, CompareCommand.class,
            HotMethodsCommand.class, AnchoringCommand.class, CheckpointLatencyCommand.class, FillStateCommand.class,
            RestartTimeCommand.class, KillCyclesCommand.class},
        description = "anchormq's benchmark instruments: an MQTT load generator (load), the JMH routing "
                + "benchmarks (routing), an embedded Moquette broker to compare against (moquette), the side-by-side "
                + "tables (compare), a JFR summary (hot-methods), the integrity log's JMH benchmarks (anchoring) and its "
                + "message -> checkpoint latency at a fixed rate (anchoring-latency), and the durable-state tools: persistent "
                + "sessions and retained messages made in a broker (fill-state), its restart time with them "
                + "(restart-time), kill -9 cycles with a ledger of acknowledged messages (kill-cycles).")
public final class BenchCommand {

    public static void main(String[] args) {
        // @file arguments are not expanded: the state tools pass a broker's command line (java @jvm.options ...) on as given
        System.exit(new CommandLine(new BenchCommand()).setExpandAtFiles(false).execute(args));
    }
}
