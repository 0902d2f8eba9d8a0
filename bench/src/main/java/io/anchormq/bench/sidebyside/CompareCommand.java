package io.anchormq.bench.sidebyside;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.anchormq.bench.loadgen.LoadReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Turns the JSON reports of a side-by-side run ({@code <broker>--<scenario>.json}, as bench/side-by-side.sh writes
 * them) into Markdown tables, one per scenario, with anchormq's ratios against each peer, the CPU each broker and
 * the load generator used, and the CPUs they were allowed (so each table says whether it was measured pinned).
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Tabulate load reports of several brokers (files <broker>--<scenario>.json) with ratios.")
public final class CompareCommand implements Callable<Integer> {

    static final String REFERENCE = "anchormq";

    @Option(names = "--results", required = true, description = "Directory with the JSON reports.")
    Path results;

    @Option(names = "--out", description = "Write the Markdown here (default: standard output).")
    Path out;

    @Override
    public Integer call() throws IOException {
        String markdown = tables(results);
        if (out == null) {
            System.out.print(markdown);
        } else {
            Files.writeString(out, markdown);
        }
        return 0;
    }

    static String tables(Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        // scenario -> broker -> report, in the order the runs were made
        Map<String, Map<String, JsonNode>> byScenario = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".json")
                            && p.getFileName().toString().contains("--"))
                    .sorted((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified()))
                    .toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            String broker = name.substring(0, name.indexOf("--"));
            String scenario = name.substring(name.indexOf("--") + 2, name.length() - ".json".length());
            byScenario.computeIfAbsent(scenario, s -> new LinkedHashMap<>()).put(broker, json.readTree(f.toFile()));
        }
        // a run that left no report (killed at its time limit, or could not start) still gets its row
        Map<String, List<String>> missing = new LinkedHashMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path f : list.filter(p -> p.getFileName().toString().endsWith(".exit")).sorted().toList()) {
                String name = f.getFileName().toString();
                String broker = name.substring(0, name.indexOf("--"));
                String scenario = name.substring(name.indexOf("--") + 2, name.length() - ".exit".length());
                if (!Files.exists(dir.resolve(broker + "--" + scenario + ".json"))) {
                    missing.computeIfAbsent(scenario, s -> new ArrayList<>())
                            .add(broker + ": no report (load generator exit status " + Files.readString(f).trim() + ")");
                }
            }
        }
        StringBuilder md = new StringBuilder();
        for (Map.Entry<String, Map<String, JsonNode>> e : byScenario.entrySet()) {
            md.append(table(e.getKey(), e.getValue()));
            for (String m : missing.getOrDefault(e.getKey(), List.of())) {
                md.append("- ").append(m).append('\n');
            }
            md.append('\n');
        }
        for (Map.Entry<String, List<String>> e : missing.entrySet()) {
            if (!byScenario.containsKey(e.getKey())) {
                md.append("#### ").append(e.getKey()).append("\n\n");
                e.getValue().forEach(m -> md.append("- ").append(m).append('\n'));
                md.append('\n');
            }
        }
        return md.toString();
    }

    private static String table(String scenario, Map<String, JsonNode> byBroker) {
        JsonNode any = byBroker.values().iterator().next();
        boolean conn = "conn".equals(any.get("scenario").asText());
        StringBuilder md = new StringBuilder();
        md.append("#### ").append(scenario).append(": ").append(describe(any)).append("\n\n");
        String pinning = pinning(byBroker);
        if (!pinning.isEmpty()) {
            md.append('_').append(pinning).append("_\n\n");
        }
        if (conn) {
            md.append("| broker | connected | conn/s | connect p50 | p99 | p99.9 | max | broker CPU | generator CPU | errors |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
            for (Map.Entry<String, JsonNode> b : byBroker.entrySet()) {
                JsonNode r = b.getValue();
                JsonNode c = r.get("connectMillis");
                md.append(String.format(Locale.ROOT, "| %s | %d of %d | %.0f | %s | %s | %s | %s | %s | %s | %s |%n", b.getKey(),
                        r.get("connected").asLong(), r.get("connections").asLong(), r.get("connectionsPerSecond").asDouble(),
                        ms(c, "p50"), ms(c, "p99"), ms(c, "p999"), ms(c, "max"), brokerCpu(r), generatorCpu(r), errors(r)));
            }
            ratios(md, byBroker, "connectionsPerSecond", null, "conn/s");
            saturated(md, byBroker);
            return md.toString();
        }
        md.append("| broker | in msg/s | out msg/s | latency p50 | p99 | p99.9 | max | lost | duplicated | out of order "
                + "| connect p99 | broker CPU | generator CPU | errors |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Map.Entry<String, JsonNode> b : byBroker.entrySet()) {
            JsonNode r = b.getValue();
            JsonNode l = r.get("latencyMillis");
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %s | %s | %s | %s | %d | %d | %d | %s | %s | %s | %s |%n",
                    b.getKey(), r.get("inPerSecond").asDouble(), r.get("outPerSecond").asDouble(),
                    ms(l, "p50"), ms(l, "p99"), ms(l, "p999"), ms(l, "max"),
                    r.get("lost").asLong(), r.get("duplicated").asLong(), r.get("outOfOrder").asLong(),
                    ms(r.get("connectMillis"), "p99"), brokerCpu(r), generatorCpu(r), errors(r)));
        }
        ratios(md, byBroker, "outPerSecond", "p99", "out msg/s");
        saturated(md, byBroker);
        return md.toString();
    }

    /**
     * Where the table was measured, from the CPUs each process was allowed (as the load generator read them): the
     * same CPUs for broker and generator is the unpinned mode, disjoint ones the equal-CPU mode.
     */
    static String pinning(Map<String, JsonNode> byBroker) {
        Set<String> brokers = new TreeSet<>();
        Set<String> generators = new TreeSet<>();
        for (JsonNode r : byBroker.values()) {
            JsonNode cpu = r.get("cpu");
            if (cpu == null || cpu.path("brokerCpuList").isNull() || cpu.path("generatorCpuList").isNull()
                    || cpu.path("brokerCpuList").isMissingNode()) {
                return "";
            }
            brokers.add(cpu.get("brokerCpuList").asText());
            generators.add(cpu.get("generatorCpuList").asText());
        }
        if (brokers.size() != 1 || generators.size() != 1) {
            return "CPUs differ between the rows: brokers " + String.join(" / ", brokers) + ", load generator "
                    + String.join(" / ", generators);
        }
        String broker = brokers.iterator().next();
        String generator = generators.iterator().next();
        BitSet b = cpus(broker);
        if (broker.equals(generator)) {
            return "Unpinned: broker and load generator shared CPUs " + broker + ".";
        }
        return b.intersects(cpus(generator))
                ? "Broker on CPUs " + broker + ", load generator on CPUs " + generator + " (overlapping)."
                : "Equal CPU: each broker pinned to CPU " + broker + ", the load generator to CPU " + generator + ".";
    }

    /** A kernel CPU list ("0-1", "1", "0,2-3") as a set. */
    static BitSet cpus(String list) {
        BitSet set = new BitSet();
        for (String part : list.split(",")) {
            String[] range = part.trim().split("-");
            int from = Integer.parseInt(range[0].trim());
            int to = range.length > 1 ? Integer.parseInt(range[1].trim()) : from;
            set.set(from, to + 1);
        }
        return set;
    }

    private static String brokerCpu(JsonNode r) {
        JsonNode cores = r.path("cpu").path("brokerCores");
        return cores.isNumber() ? String.format(Locale.ROOT, "%.2f", cores.asDouble()) : "–";
    }

    private static String generatorCpu(JsonNode r) {
        JsonNode cpu = r.get("cpu");
        if (cpu == null) {
            return "–";
        }
        String used = String.format(Locale.ROOT, "%.2f of %d", cpu.get("generatorCores").asDouble(),
                cpu.get("generatorCpus").asInt());
        return cpu.get("generatorSaturated").asBoolean() ? "**" + used + ": saturated**" : used;
    }

    /**
     * A note under the table for every row where the load generator ran out of CPU, saying whether the broker had
     * too: against a broker that writes every packet on its own the generator spends what it has on smaller reads and
     * writes, so both ends of a closed loop can be at their limit at once.
     */
    private static void saturated(StringBuilder md, Map<String, JsonNode> byBroker) {
        for (Map.Entry<String, JsonNode> b : byBroker.entrySet()) {
            JsonNode cpu = b.getValue().get("cpu");
            if (cpu == null || !cpu.get("generatorSaturated").asBoolean()) {
                continue;
            }
            String broker = "";
            JsonNode cores = cpu.path("brokerCores");
            JsonNode list = cpu.path("brokerCpuList");
            if (cores.isNumber() && list.isTextual()) {
                int cpus = cpus(list.asText()).cardinality();
                broker = String.format(Locale.ROOT, "; the broker used %.2f of its %d CPU%s%s", cores.asDouble(), cpus,
                        cpus == 1 ? "" : "s", cores.asDouble() > LoadReport.Cpu.SATURATED * cpus ? ", at its limit too" : "");
            }
            md.append(String.format(Locale.ROOT, "- %s row: **generator saturated (%.2f of %d core%s)**%s: its figures "
                            + "may be the load generator's limit rather than the broker's%n", b.getKey(),
                    cpu.get("generatorCores").asDouble(), cpu.get("generatorCpus").asInt(),
                    cpu.get("generatorCpus").asInt() == 1 ? "" : "s", broker));
        }
    }

    /** anchormq against each peer: throughput (higher is better) and p99 latency (lower is better). */
    private static void ratios(StringBuilder md, Map<String, JsonNode> byBroker, String rate, String latency,
                               String rateName) {
        JsonNode ours = byBroker.get(REFERENCE);
        if (ours == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, JsonNode> b : byBroker.entrySet()) {
            if (b.getKey().equals(REFERENCE)) {
                continue;
            }
            JsonNode peer = b.getValue();
            double peerRate = peer.get(rate).asDouble();
            String rateRatio = peerRate > 0 && peer.get("received").asLong() >= 0
                    ? String.format(Locale.ROOT, "%.2f ×", ours.get(rate).asDouble() / peerRate)
                    : "n/a (" + b.getKey() + " delivered nothing)";
            String line = "anchormq / " + b.getKey() + ": " + rateName + " " + rateRatio;
            if (latency != null) {
                double peerP99 = peer.get("latencyMillis").get(latency).asDouble();
                line += peerP99 > 0
                        ? String.format(Locale.ROOT, ", p99 latency %.2f ×", ours.get("latencyMillis").get(latency).asDouble() / peerP99)
                        : ", p99 latency n/a";
            }
            JsonNode ourCores = ours.path("cpu").path("brokerCores");
            JsonNode peerCores = peer.path("cpu").path("brokerCores");
            if (ourCores.isNumber() && peerCores.isNumber() && peerCores.asDouble() > 0) {
                line += String.format(Locale.ROOT, ", broker CPU %.2f ×", ourCores.asDouble() / peerCores.asDouble());
            }
            if (ours.path("cpu").path("generatorSaturated").asBoolean() || peer.path("cpu").path("generatorSaturated").asBoolean()) {
                line += " (generator saturated: see below)";
            }
            lines.add(line);
        }
        md.append('\n');
        for (String l : lines) {
            md.append("- ").append(l).append('\n');
        }
    }

    private static String describe(JsonNode r) {
        String scenario = r.get("scenario").asText();
        if ("conn".equals(scenario)) {
            return String.format(Locale.ROOT, "%d connections, MQTT %s", r.get("clients").asInt(), r.get("protocol").asText());
        }
        double rate = r.get("ratePerPublisher").asDouble();
        return String.format(Locale.ROOT, "%d publishers → %d subscribers, QoS %d, %d-byte payloads, %s, MQTT %s, "
                        + "%.0f s measured after %.0f s warm-up",
                r.get("publishers").asInt(), r.get("subscribers").asInt(), r.get("qos").asInt(),
                r.get("payloadSize").asInt(), rate == 0 ? "as fast as possible"
                        : String.format(Locale.ROOT, "%.0f msg/s per publisher", rate),
                r.get("protocol").asText(), r.get("durationSeconds").asDouble(), r.get("warmupSeconds").asDouble());
    }

    private static String errors(JsonNode r) {
        long p = r.get("protocolErrors").asLong();
        long s = r.get("setupErrors").asLong();
        if (p == 0 && s == 0) {
            return r.has("drained") && !r.get("drained").asBoolean() && !"conn".equals(r.get("scenario").asText())
                    ? "drain incomplete" : "none";
        }
        JsonNode list = r.get("errors");
        String first = list != null && list.size() > 0 ? list.get(0).asText().replace("|", "/") : "";
        return (p > 0 ? p + " protocol" : "") + (s > 0 ? (p > 0 ? ", " : "") + s + " setup" : "")
                + (first.isEmpty() ? "" : ": " + first);
    }

    private static String ms(JsonNode percentiles, String field) {
        if (percentiles == null || percentiles.get("count").asLong() == 0) {
            return "–";
        }
        double v = percentiles.get(field).asDouble();
        return v >= 100 ? String.format(Locale.ROOT, "%.0f ms", v)
                : v >= 1 ? String.format(Locale.ROOT, "%.1f ms", v)
                : String.format(Locale.ROOT, "%.0f µs", v * 1000);
    }
}
