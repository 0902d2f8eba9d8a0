package io.anchormq.bench.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * What one load run measured. Rates count only the measured window (after the warm-up); integrity counts
 * (lost, duplicated, out of order) cover every message of the run.
 *
 * @param security transport and credentials: "TCP, anonymous", "TLS (JDK, full handshakes), client certificate ..."
 * @param sessions "clean", or how persistent sessions were asked for ("persistent (clean session 0)")
 * @param tlsSession the first TLS session's protocol and cipher suite ("TLSv1.3 TLS_AES_128_GCM_SHA256"); empty for TCP
 * @param acknowledged QoS 1/2 PUBLISHes the broker acknowledged (PUBACK, PUBCOMP): accepted, whatever became of them
 * @param expected deliveries the subscribers should have received in all (fan-out: sent × subscribers)
 * @param inPerSecond PUBLISHes written by the publishers per second during the measured window
 * @param outPerSecond messages received by the subscribers per second during the measured window
 * @param ackMillis from writing a QoS 1/2 PUBLISH to reading its PUBACK (QoS 2: PUBCOMP), for PUBLISHes sent in
 *     the measured window: what a device waits for before its message counts as taken
 * @param drained whether every expected message and acknowledgement arrived before the drain ended
 * @param cpu what the load generator and the broker used of the CPU while measuring
 */
public record LoadReport(
        String label,
        String host,
        int port,
        String scenario,
        String protocol,
        String security,
        String sessions,
        String tlsSession,
        int qos,
        int clients,
        int subscribers,
        int publishers,
        int payloadSize,
        double ratePerPublisher,
        int inflight,
        double warmupSeconds,
        double durationSeconds,
        long connections,
        long connected,
        double connectSeconds,
        double connectionsPerSecond,
        Percentiles connectMillis,
        long sent,
        long acknowledged,
        long received,
        long expected,
        double inPerSecond,
        double outPerSecond,
        Percentiles latencyMillis,
        Percentiles ackMillis,
        long lost,
        long duplicated,
        long outOfOrder,
        boolean drained,
        double drainSeconds,
        Cpu cpu,
        long protocolErrors,
        long setupErrors,
        List<String> errors) {

    /** Exit status of the load command: 0 fine, 1 the broker broke the protocol, 3 the run could not be set up. */
    public int exitCode() {
        return protocolErrors > 0 ? 1 : setupErrors > 0 ? 3 : 0;
    }

    /**
     * CPU used over the measured window (conn: over the connection phase), each process's CPU time over wall time,
     * so 1.0 is one core busy throughout.
     *
     * @param generatorCores the load generator's own process, JIT and GC included
     * @param generatorCpus the CPUs it may run on ({@link Runtime#availableProcessors()}, which follows the affinity
     *     mask that {@code taskset} sets)
     * @param generatorCpuList which CPUs those are, as the kernel lists them ("0", "0-1"); null where unknown
     * @param generatorSaturated it used more than {@link #SATURATED} of its CPUs: then the generator, not the broker,
     *     may be what limited the run
     * @param brokerPid the broker process sampled ({@code --broker-pid}); 0 for none
     * @param brokerCores the broker's cores used; null when it was not sampled
     * @param brokerCpuList the CPUs the broker may run on; null where unknown
     */
    public record Cpu(double generatorCores, int generatorCpus, String generatorCpuList, boolean generatorSaturated,
                      long brokerPid, Double brokerCores, String brokerCpuList) {

        /** Above this share of its CPUs the generator counts as saturated: it had no time left to spare. */
        public static final double SATURATED = 0.9;

        static Cpu of(double generatorCores, int generatorCpus, String generatorCpuList, long brokerPid,
                      Double brokerCores, String brokerCpuList) {
            return new Cpu(generatorCores, generatorCpus, generatorCpuList,
                    generatorCores > SATURATED * generatorCpus, brokerPid, brokerCores, brokerCpuList);
        }

        /** "generator saturated (0.97 of 1 core)", or empty when it was not. */
        public String saturation() {
            return generatorSaturated
                    ? String.format(Locale.ROOT, "generator saturated (%.2f of %d core%s)", generatorCores,
                            generatorCpus, generatorCpus == 1 ? "" : "s")
                    : "";
        }

        String line() {
            String broker = brokerCores == null ? "broker not sampled"
                    : String.format(Locale.ROOT, "broker %.2f cores (pid %d%s)", brokerCores, brokerPid,
                            brokerCpuList == null ? "" : ", CPUs " + brokerCpuList);
            String generator = String.format(Locale.ROOT, "generator %.2f of %d (CPUs %s)", generatorCores,
                    generatorCpus, generatorCpuList == null ? "?" : generatorCpuList);
            return broker + "; " + generator
                    + (generatorSaturated ? "  " + saturation().toUpperCase(Locale.ROOT)
                            + ": it may be what limited this run" : "");
        }
    }

    /** Percentiles in milliseconds. */
    public record Percentiles(long count, double p50, double p99, double p999, double max) {

        static Percentiles of(Histogram nanos) {
            if (nanos.getTotalCount() == 0) {
                return new Percentiles(0, 0, 0, 0, 0);
            }
            return new Percentiles(nanos.getTotalCount(), nanos.getValueAtPercentile(50) / 1e6,
                    nanos.getValueAtPercentile(99) / 1e6, nanos.getValueAtPercentile(99.9) / 1e6,
                    nanos.getMaxValue() / 1e6);
        }

        String line() {
            return count == 0 ? "–" : String.format(Locale.ROOT, "p50 %s  p99 %s  p99.9 %s  max %s  (n=%d)",
                    ms(p50), ms(p99), ms(p999), ms(max), count);
        }
    }

    public String table() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s  %s:%d  scenario %s  MQTT %s  clients %d", label, host, port, scenario,
                protocol, clients));
        if (!"conn".equals(scenario)) {
            out.append(String.format(Locale.ROOT, "  QoS %d  payload %d B  rate %s  warm-up %s  measured %s", qos,
                    payloadSize, ratePerPublisher == 0 ? "max"
                            : String.format(Locale.ROOT, "%.0f/s per publisher", ratePerPublisher),
                    seconds(warmupSeconds), seconds(durationSeconds)));
        }
        out.append(System.lineSeparator());
        row(out, "transport", security + (tlsSession.isEmpty() ? "" : ", " + tlsSession));
        row(out, "sessions", sessions);
        row(out, "connections", String.format(Locale.ROOT, "%d of %d in %.2f s (%.0f conn/s)", connected, connections,
                connectSeconds, connectionsPerSecond));
        row(out, "connect time", connectMillis.line());
        if (!"conn".equals(scenario)) {
            row(out, "publishers", publishers + ", subscribers " + subscribers);
            row(out, "messages", String.format(Locale.ROOT, "sent %d%s, received %d of %d expected", sent,
                    qos > 0 ? " (" + acknowledged + " acknowledged)" : "", received, expected));
            row(out, "throughput", String.format(Locale.ROOT, "in %.0f msg/s, out %.0f msg/s", inPerSecond, outPerSecond));
            row(out, "latency", latencyMillis.line());
            if (qos > 0) {
                row(out, "ack latency", ackMillis.line());
            }
            row(out, "integrity", String.format(Locale.ROOT, "lost %d, duplicated %d, out of order %d", lost, duplicated,
                    outOfOrder));
            row(out, "drain", String.format(Locale.ROOT, "%s after %.2f s", drained ? "complete" : "INCOMPLETE", drainSeconds));
        }
        row(out, "cpu", cpu.line());
        row(out, "errors", String.format(Locale.ROOT, "protocol %d, setup %d", protocolErrors, setupErrors));
        for (String e : errors) {
            row(out, "", e);
        }
        return out.toString();
    }

    public void writeJson(Path file) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), this);
    }

    private static void row(StringBuilder out, String name, String value) {
        out.append(String.format(Locale.ROOT, "  %-14s %s%n", name, value));
    }

    private static String seconds(double s) {
        return (s == Math.rint(s) ? String.format(Locale.ROOT, "%.0f", s) : String.format(Locale.ROOT, "%.1f", s)) + " s";
    }

    private static String ms(double millis) {
        return millis >= 100 ? String.format(Locale.ROOT, "%.0f ms", millis)
                : millis >= 1 ? String.format(Locale.ROOT, "%.2f ms", millis)
                : String.format(Locale.ROOT, "%.0f µs", millis * 1000);
    }
}
