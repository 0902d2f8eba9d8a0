package io.anchormq.bench.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.anchormq.bench.loadgen.Loopback;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Starts a broker that holds state made by {@code fill-state} and measures, from the moment its process is started:
 * when its MQTT port accepts a TCP connection, when a CONNECT is answered, when retained messages are served, when
 * a sample of the restored sessions' subscriptions deliver again, and (anchormq, from its $SYS metrics) when every
 * stored subscription and retained message is back; then the heap it uses, and how long a clean stop takes.
 */
@Command(name = "restart-time", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Start the broker command given after --, measure how long it takes to serve its restored state, "
                + "report its heap, and stop it.")
public final class RestartTimeCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "1883")
    int port;

    @Option(names = "--sessions", defaultValue = "0", description = "Persistent sessions fill-state made (state-0 ..).")
    int sessions;

    @Option(names = "--retained", defaultValue = "0", description = "Retained messages fill-state made.")
    int retained;

    @Option(names = "--probes", defaultValue = "16",
            description = "Restored sessions whose subscription is probed, spread evenly over the ids (default: ${DEFAULT-VALUE}).")
    int probes;

    @Option(names = "--mqtt", defaultValue = "3.1.1")
    String protocol;

    @Option(names = "--session-expiry", defaultValue = "3600")
    long sessionExpiry;

    @Option(names = "--anchormq-metrics",
            description = "Watch $SYS/anchormq/metrics (start the broker with a short ANCHORMQ_METRICS_INTERVAL) for the "
                    + "moment every stored subscription and retained message is back.")
    boolean metrics;

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds allowed for everything (default: ${DEFAULT-VALUE}).")
    double timeout;

    @Option(names = "--then", defaultValue = "sigterm",
            description = "What to do with the broker afterwards: sigterm (timed), kill (kill -9) or keep (default: ${DEFAULT-VALUE}).")
    String then;

    @Option(names = "--broker-log", description = "Append the broker's output to this file.")
    Path brokerLog;

    @Option(names = "--label", defaultValue = "broker")
    String label;

    @Option(names = "--json", description = "Write the figures as JSON here.")
    Path json;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The broker's command line (after --).")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        Loopback.require(host);
        boolean mqtt5 = protocol.startsWith("5");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("label", label);
        r.put("sessions", sessions);
        r.put("retained", retained);
        r.put("command", String.join(" ", command));
        BrokerProcess broker = BrokerProcess.start(command, brokerLog, host, port);
        long deadline = broker.startedNanos + (long) (timeout * 1e9);
        List<String> problems = new ArrayList<>();
        try {
            long accepted = broker.awaitPort(host, port, timeout);
            r.put("portSeconds", broker.since(accepted));
            // a fresh client: CONNECT answered
            MqttLink monitor = connectWithRetry(mqtt5, "restart-monitor", true, deadline);
            r.put("connackSeconds", broker.since(System.nanoTime()));
            AtomicReference<long[]> allBack = new AtomicReference<>();
            AtomicLongArray retainedAt = new AtomicLongArray(3);
            int[] retainedProbes = retained == 0 ? new int[0]
                    : Arrays.stream(new int[] {retained - 1, retained / 2, 0}).distinct().toArray();
            // every stored subscription back: the router counts the sessions' and this monitor's own
            watcherTarget.set(new long[] {sessions + (metrics ? 1 : 0) + retainedProbes.length, retained});
            Thread watcher = watch(monitor, broker, retainedProbes, retainedAt, allBack, problems);
            // retained messages: the last written, one in the middle, the first
            if (metrics) {
                monitor.subscribe(1, 0, "$SYS/anchormq/metrics");
            }
            for (int k = 0; k < retainedProbes.length; k++) {
                monitor.subscribe(2 + k, 1, FillStateCommand.retainedTopic(retainedProbes[k]));
            }
            monitor.flush();
            // restored sessions: resume a sample, then publish to their topics until each has received one
            if (sessions > 0 && probes > 0) {
                probeSubscriptions(mqtt5, broker, deadline, r, problems);
            }
            // every retained probe served
            while (retainedProbes.length > 0 && !allSet(retainedAt, retainedProbes.length) && beforeDeadline(deadline)) {
                BrokerProcess.sleep(5);
            }
            if (retainedProbes.length > 0) {
                r.put("retainedFirstServedSeconds", retainedAt.get(0) == 0 ? null : broker.since(retainedAt.get(0)));
                long last = 0;
                for (int k = 0; k < retainedProbes.length; k++) {
                    last = Math.max(last, retainedAt.get(k));
                }
                r.put("retainedProbesServedSeconds", allSet(retainedAt, retainedProbes.length) ? broker.since(last) : null);
                if (!allSet(retainedAt, retainedProbes.length)) {
                    problems.add("not every probed retained message was served");
                }
            }
            if (metrics) {
                while (allBack.get() == null && beforeDeadline(deadline)) {
                    BrokerProcess.sleep(5);
                }
                long[] back = allBack.get();
                if (back == null) {
                    problems.add("the metrics never showed every subscription and retained message back");
                } else {
                    r.put("allRestoredSeconds", broker.since(back[0]));
                    r.put("metricsSessions", back[1]);
                    r.put("metricsSubscriptions", back[2]);
                    r.put("metricsRetained", back[3]);
                }
            }
            r.put("heapUsedMb", broker.heapUsedMb(false));
            r.put("heapLiveMb", broker.heapUsedMb(true));
            r.put("rssMb", broker.rssMb());
            monitor.disconnect();
            watcher.join(2000);
        } catch (IOException e) {
            problems.add(e.getMessage());
        } finally {
            switch (then) {
                case "kill" -> broker.kill();
                case "keep" -> { }
                default -> {
                    double stop = broker.stop(120);
                    r.put("stopSeconds", Double.isNaN(stop) ? null : stop);
                }
            }
        }
        r.put("brokerPid", broker.pid());
        r.put("problems", problems);
        StringBuilder line = new StringBuilder(label);
        r.forEach((k, v) -> {
            if (!k.equals("label") && !k.equals("command")) {
                line.append("  ").append(k).append('=').append(v instanceof Double d ? String.format(Locale.ROOT, "%.3f", d) : v);
            }
        });
        System.out.println(line);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), r);
        }
        return problems.isEmpty() ? 0 : 3;
    }

    /** What the metrics must reach: subscriptions, retained messages (set once the own subscriptions are known). */
    private final AtomicReference<long[]> watcherTarget = new AtomicReference<>();

    /** Reads the monitor connection: retained probes, and metrics messages newer than the start. */
    private Thread watch(MqttLink monitor, BrokerProcess broker, int[] retainedProbes, AtomicLongArray retainedAt,
                         AtomicReference<long[]> allBack, List<String> problems) {
        ObjectMapper json = new ObjectMapper();
        Instant started = broker.startedAt;
        Thread t = new Thread(() -> {
            try {
                monitor.readTimeout(0);
                while (true) {
                    MqttLink.Packet p = monitor.read();
                    if (p.type() != MqttLink.PUBLISH) {
                        continue;
                    }
                    long now = System.nanoTime();
                    MqttLink.Publish m = monitor.publish(p);
                    if (m.qos() > 0) {
                        monitor.puback(m.packetId());
                        monitor.flush();
                    }
                    if (m.topic().startsWith("$SYS/")) {
                        JsonNode n = json.readTree(m.payload());
                        // the retained metrics message stored before the restart says nothing about this start
                        if (!n.has("at") || Instant.parse(n.get("at").asText()).isBefore(started)) {
                            continue;
                        }
                        long[] want = watcherTarget.get();
                        long subs = n.path("subscriptions").asLong();
                        long ret = n.path("retainedMessages").asLong();
                        if (want != null && allBack.get() == null && subs >= want[0] && ret >= want[1]) {
                            allBack.set(new long[] {now, n.path("sessions").asLong(), subs, ret});
                        }
                        continue;
                    }
                    for (int k = 0; k < retainedProbes.length; k++) {
                        if (m.topic().equals(FillStateCommand.retainedTopic(retainedProbes[k]))) {
                            if (!Arrays.equals(m.payload(), FillStateCommand.retainedPayload(retainedProbes[k], m.payload().length))) {
                                synchronized (problems) {
                                    problems.add("retained message " + m.topic() + " has another payload");
                                }
                            }
                            retainedAt.compareAndSet(k, 0, now);
                        }
                    }
                }
            } catch (IOException e) {
                // closed at the end
            }
        }, "restart-monitor");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void probeSubscriptions(boolean mqtt5, BrokerProcess broker, long deadline, Map<String, Object> r,
                                    List<String> problems) throws IOException {
        int k = Math.min(probes, sessions);
        int[] ids = new int[k];
        for (int i = 0; i < k; i++) {
            ids[i] = k == 1 ? sessions - 1 : (int) ((long) (sessions - 1) * i / (k - 1));
        }
        AtomicLongArray firstAt = new AtomicLongArray(k);
        List<MqttLink> links = new ArrayList<>();
        int missing = 0;
        for (int i = 0; i < k; i++) {
            MqttLink link = connectWithRetry(mqtt5, FillStateCommand.clientId(ids[i]), false, deadline);
            if (!lastSessionPresent) {
                missing++;
            }
            links.add(link);
            int slot = i;
            Thread reader = new Thread(() -> {
                try {
                    link.readTimeout(0);
                    while (true) {
                        MqttLink.Packet p = link.read();
                        if (p.type() == MqttLink.PUBLISH) {
                            MqttLink.Publish m = link.publish(p);
                            if (m.qos() > 0) {
                                link.puback(m.packetId());
                                link.flush();
                            }
                            if (m.payload().length == 8 && ByteBuffer.wrap(m.payload()).getLong() >= broker.startedNanos) {
                                firstAt.compareAndSet(slot, 0, System.nanoTime());
                            }
                        }
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            }, "restart-probe-" + i);
            reader.setDaemon(true);
            reader.start();
        }
        r.put("probeSessionsResumedSeconds", broker.since(System.nanoTime()));
        r.put("probeSessionsMissing", missing);
        if (missing > 0) {
            problems.add(missing + " of " + k + " probed sessions were not there after the restart (session present 0)");
        }
        try (MqttLink publisher = connectWithRetry(mqtt5, "restart-probe-publisher", true, deadline)) {
            Thread drain = new Thread(() -> {
                try {
                    publisher.readTimeout(0);
                    while (true) {
                        publisher.read(); // PUBACKs
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "restart-probe-acks");
            drain.setDaemon(true);
            drain.start();
            int packetId = 0;
            // every 10 ms, one QoS 1 message to each probed session still waiting for its first
            while (!allSet(firstAt, k) && beforeDeadline(deadline)) {
                for (int i = 0; i < k; i++) {
                    if (firstAt.get(i) == 0) {
                        packetId = packetId % 65_535 + 1;
                        publisher.publish(FillStateCommand.sessionTopic(ids[i]),
                                ByteBuffer.allocate(8).putLong(System.nanoTime()).array(), 1, false, packetId);
                    }
                }
                publisher.flush();
                BrokerProcess.sleep(10);
            }
            publisher.disconnect();
        }
        long[] times = new long[k];
        int got = 0;
        for (int i = 0; i < k; i++) {
            if (firstAt.get(i) != 0) {
                times[got++] = firstAt.get(i);
            }
        }
        Arrays.sort(times, 0, got);
        if (got > 0) {
            r.put("probeFirstDeliverySeconds", broker.since(times[0]));
            r.put("probeMedianDeliverySeconds", broker.since(times[got / 2]));
            r.put("probeLastDeliverySeconds", broker.since(times[got - 1]));
        }
        r.put("probesDelivered", got + " of " + k);
        if (got < k) {
            problems.add((k - got) + " of " + k + " probed subscriptions delivered nothing");
        }
        for (MqttLink l : links) {
            l.disconnect();
        }
    }

    private boolean lastSessionPresent;

    /** CONNECT until answered (a broker that has opened its port may still refuse or drop the first ones). */
    private MqttLink connectWithRetry(boolean mqtt5, String clientId, boolean clean, long deadline) throws IOException {
        IOException last = null;
        while (beforeDeadline(deadline)) {
            MqttLink link = null;
            try {
                link = MqttLink.open(host, port, mqtt5, 60_000);
                lastSessionPresent = link.connect(clientId, clean, sessionExpiry, 0);
                return link;
            } catch (IOException e) {
                last = e;
                if (link != null) {
                    link.close();
                }
                BrokerProcess.sleep(5);
            }
        }
        throw new IOException(clientId + ": no CONNACK before the deadline" + (last == null ? "" : " (" + last.getMessage() + ")"));
    }

    private static boolean allSet(AtomicLongArray a, int n) {
        for (int i = 0; i < n; i++) {
            if (a.get(i) == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean beforeDeadline(long deadline) {
        return System.nanoTime() - deadline < 0;
    }
}
