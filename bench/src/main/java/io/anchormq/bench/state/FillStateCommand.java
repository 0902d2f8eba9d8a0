package io.anchormq.bench.state;

import io.anchormq.bench.loadgen.Loopback;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Fills a running broker with state to restart from: persistent sessions, each subscribed to a topic of its own
 * (client id {@code state-<i>}, Clean Session 0, filter {@code bench/state/<i>}), then retained messages
 * ({@code bench/retained/<j>}, QoS 1, so that each is acknowledged, i.e. stored, before it counts).
 */
@Command(name = "fill-state", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Create persistent sessions (each with one subscription) and retained messages in a broker, "
                + "for restart-time to measure how long a restart with that state takes.")
public final class FillStateCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Loopback only (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "1883")
    int port;

    @Option(names = "--sessions", defaultValue = "0", description = "Persistent sessions to create (default: ${DEFAULT-VALUE}).")
    int sessions;

    @Option(names = "--session-from", defaultValue = "0",
            description = "Index of the first (to add to a broker filled before) (default: ${DEFAULT-VALUE}).")
    int sessionFrom;

    @Option(names = "--retained", defaultValue = "0", description = "Retained messages to publish (default: ${DEFAULT-VALUE}).")
    int retained;

    @Option(names = "--retained-from", defaultValue = "0", description = "Index of the first (default: ${DEFAULT-VALUE}).")
    int retainedFrom;

    @Option(names = "--payload", defaultValue = "16", description = "Retained payload bytes (default: ${DEFAULT-VALUE}).")
    int payload;

    @Option(names = "--mqtt", defaultValue = "3.1.1", description = "3.1.1 or 5 (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = "--session-expiry", defaultValue = "3600", description = "MQTT 5 session expiry, s (default: ${DEFAULT-VALUE}).")
    long sessionExpiry;

    @Option(names = "--threads", defaultValue = "8",
            description = "Connections creating sessions at once (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--publishers", defaultValue = "4",
            description = "Connections publishing retained messages (default: ${DEFAULT-VALUE}).")
    int publishers;

    @Option(names = "--window", defaultValue = "64",
            description = "Unacknowledged retained PUBLISHes per connection (default: ${DEFAULT-VALUE}).")
    int window;

    static String clientId(int i) {
        return "state-" + i;
    }

    static String sessionTopic(int i) {
        return "bench/state/" + i;
    }

    static String retainedTopic(int j) {
        return "bench/retained/" + j;
    }

    /** The payload of retained message {@code j}: its index in decimal, padded with dots. */
    static byte[] retainedPayload(int j, int size) {
        byte[] p = new byte[Math.max(size, 1)];
        java.util.Arrays.fill(p, (byte) '.');
        byte[] digits = Integer.toString(j).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, p, 0, Math.min(digits.length, p.length));
        return p;
    }

    @Override
    public Integer call() throws Exception {
        Loopback.require(host);
        boolean mqtt5 = protocol.startsWith("5");
        if (sessions > 0) {
            long t = System.nanoTime();
            createSessions(mqtt5);
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf(Locale.ROOT, "sessions: %d persistent sessions (%s .. %s) in %.1f s (%.0f/s)%n", sessions,
                    clientId(sessionFrom), clientId(sessionFrom + sessions - 1), s, sessions / s);
        }
        if (retained > 0) {
            long t = System.nanoTime();
            publishRetained(mqtt5);
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf(Locale.ROOT, "retained: %d messages of %d B (%s .. %s), each acknowledged, in %.1f s (%.0f/s)%n",
                    retained, payload, retainedTopic(retainedFrom), retainedTopic(retainedFrom + retained - 1), s,
                    retained / s);
        }
        return 0;
    }

    private void createSessions(boolean mqtt5) throws Exception {
        AtomicInteger next = new AtomicInteger(sessionFrom);
        int end = sessionFrom + sessions;
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            Thread t = new Thread(() -> {
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < end) {
                    try (MqttLink link = MqttLink.open(host, port, mqtt5, 30_000)) {
                        link.connect(clientId(i), false, sessionExpiry, 0);
                        link.subscribeAndWait(1, 1, sessionTopic(i));
                        link.disconnect();
                    } catch (IOException e) {
                        failure.compareAndSet(null, new IOException(clientId(i) + ": " + e.getMessage(), e));
                    }
                }
            }, "fill-sessions-" + w);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            t.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private void publishRetained(boolean mqtt5) throws Exception {
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicLong acked = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        int n = Math.max(1, publishers);
        for (int i = 0; i < n; i++) {
            int w = i;
            int from = retainedFrom + (int) ((long) retained * w / n);
            int to = retainedFrom + (int) ((long) retained * (w + 1) / n);
            Thread t = new Thread(() -> {
                try (MqttLink link = MqttLink.open(host, port, mqtt5, 60_000)) {
                    link.connect("state-fill-retained-" + from, true, 0, 0);
                    Semaphore free = new Semaphore(window);
                    Thread reader = new Thread(() -> {
                        try {
                            for (int k = from; k < to; ) {
                                MqttLink.Packet p = link.read();
                                if (p.type() == MqttLink.PUBACK) {
                                    k++;
                                    acked.incrementAndGet();
                                    free.release();
                                }
                            }
                        } catch (IOException e) {
                            failure.compareAndSet(null, e);
                            free.release(window);
                        }
                    }, "fill-retained-acks-" + w);
                    reader.start();
                    int packetId = 0;
                    for (int j = from; j < to && failure.get() == null; j++) {
                        if (!free.tryAcquire()) {
                            link.flush();
                            free.acquire();
                        }
                        packetId = packetId % 65_535 + 1;
                        link.publish(retainedTopic(j), retainedPayload(j, payload), 1, true, packetId);
                    }
                    link.flush();
                    reader.join(TimeUnit.MINUTES.toMillis(5));
                    link.disconnect();
                } catch (IOException | InterruptedException e) {
                    failure.compareAndSet(null, e);
                }
            }, "fill-retained-" + w);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            t.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        if (acked.get() != retained) {
            throw new IOException("only " + acked.get() + " of " + retained + " retained messages acknowledged");
        }
    }
}
