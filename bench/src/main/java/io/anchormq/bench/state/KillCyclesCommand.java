package io.anchormq.bench.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.anchormq.bench.loadgen.Loopback;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Kill -9 cycles with a ledger. QoS 1 publishers (clean sessions, one PUBLISH in flight each, so every PUBACK names
 * one sequence number) publish to persistent subscribers (Clean Session 0, one topic each). In every cycle the
 * broker is killed with SIGKILL mid-load, then restarted; a share of the subscribers is offline (disconnected,
 * session kept) from one second into the cycle until after the restart, so that messages queued for them are in the
 * broker when it dies. After a restart every subscriber reconnects (re-subscribing only if the broker says its
 * session is gone) before publishing resumes. At the end, once the subscribers have been quiet: every sequence number
 * a publisher had acknowledged and no subscriber received is lost.
 */
@Command(name = "kill-cycles", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Kill -9 the broker (command after --) mid-load, restart it, repeat; count acknowledged QoS 1 "
                + "messages that persistent subscribers never received.")
public final class KillCyclesCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "1883")
    int port;

    @Option(names = "--pairs", defaultValue = "100", description = "Publisher -> persistent subscriber pairs (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--rate", defaultValue = "100", description = "Messages per second per publisher (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--cycles", defaultValue = "20", description = "kill -9 and restart this many times (default: ${DEFAULT-VALUE}).")
    int cycles;

    @Option(names = "--load-min", defaultValue = "3", description = "Shortest load before a kill, s (default: ${DEFAULT-VALUE}).")
    double loadMin;

    @Option(names = "--load-max", defaultValue = "6", description = "Longest, s; each cycle draws between (default: ${DEFAULT-VALUE}).")
    double loadMax;

    @Option(names = "--offline-every", defaultValue = "4",
            description = "In cycle c, subscriber i is offline from 1 s into the load until after the restart when "
                    + "i mod N = c mod N; 0 = all stay online (default: ${DEFAULT-VALUE}).")
    int offlineEvery;

    @Option(names = "--seed", defaultValue = "12", description = "Seed of the load durations (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--mqtt", defaultValue = "3.1.1")
    String protocol;

    @Option(names = "--session-expiry", defaultValue = "3600")
    long sessionExpiry;

    @Option(names = "--payload", defaultValue = "32")
    int payload;

    @Option(names = "--ready-timeout", defaultValue = "120",
            description = "Seconds allowed for a restart and every subscriber to be back (default: ${DEFAULT-VALUE}).")
    double readyTimeout;

    @Option(names = "--drain-quiet", defaultValue = "10",
            description = "At the end, stop once nothing arrived for this long, s (default: ${DEFAULT-VALUE}).")
    double drainQuiet;

    @Option(names = "--drain-timeout", defaultValue = "120")
    double drainTimeout;

    @Option(names = "--broker-log")
    Path brokerLog;

    @Option(names = "--label", defaultValue = "broker")
    String label;

    @Option(names = "--json")
    Path json;

    @Parameters(arity = "1..*", paramLabel = "COMMAND")
    List<String> command;

    private boolean mqtt5;
    private volatile boolean publishing;
    private volatile boolean done;
    private final AtomicLong receivedTotal = new AtomicLong();
    private final AtomicLong missingSessions = new AtomicLong();
    private final List<String> problems = new ArrayList<>();

    /** What was acknowledged and received, per publisher. */
    private static final class Ledger {
        final BitSet acked = new BitSet();
        final BitSet received = new BitSet();
        long duplicates;
    }

    private Ledger[] ledgers;

    private final class Publisher extends Thread {
        final int index;
        volatile long nextSequence;
        volatile boolean connected;

        Publisher(int index) {
            super("kill-cycles-pub-" + index);
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            long period = (long) (1e9 / rate);
            int packetId = 0;
            while (!done) {
                if (!publishing) {
                    BrokerProcess.sleep(5);
                    continue;
                }
                try (MqttLink link = MqttLink.open(host, port, mqtt5, 10_000)) {
                    link.connect("kc-pub-" + index, true, 0, 0);
                    connected = true;
                    long next = System.nanoTime();
                    while (publishing && !done) {
                        long now = System.nanoTime();
                        if (now - next < 0) {
                            BrokerProcess.sleep(Math.max(1, (next - now) / 1_000_000));
                            continue;
                        }
                        // behind by more than a few periods (a stall): do not burst to catch up
                        next = Math.max(next, now - 4 * period) + period;
                        long seq = nextSequence;
                        nextSequence = seq + 1;
                        packetId = packetId % 65_535 + 1;
                        link.publish("kc/" + index, payload(index, seq), 1, false, packetId);
                        link.flush();
                        while (true) {
                            MqttLink.Packet p = link.read();
                            if (p.type() == MqttLink.PUBACK && MqttLink.packetIdOf(p) == packetId) {
                                break;
                            }
                        }
                        Ledger l = ledgers[index];
                        synchronized (l) {
                            l.acked.set((int) seq);
                        }
                    }
                    link.disconnect();
                } catch (IOException e) {
                    // the broker went away (killed): try again once publishing resumes
                } finally {
                    connected = false;
                }
                BrokerProcess.sleep(10);
            }
        }
    }

    private final class Subscriber extends Thread {
        final int index;
        volatile boolean wantOnline = true;
        volatile boolean online;
        volatile MqttLink link;
        long connects;

        Subscriber(int index) {
            super("kill-cycles-sub-" + index);
            this.index = index;
            setDaemon(true);
        }

        void goOffline() {
            wantOnline = false;
            MqttLink l = link;
            if (l != null) {
                l.disconnect();
            }
        }

        @Override
        public void run() {
            while (!done) {
                if (!wantOnline) {
                    BrokerProcess.sleep(5);
                    continue;
                }
                try (MqttLink l = MqttLink.open(host, port, mqtt5, 10_000)) {
                    boolean present = l.connect("kc-sub-" + index, false, sessionExpiry, 0);
                    l.readTimeout(0);
                    connects++;
                    link = l;
                    if (!present) {
                        if (connects > 1) {
                            missingSessions.incrementAndGet();
                        }
                        l.subscribe(1, 1, "kc/" + index);
                        l.flush();
                    } else {
                        online = true;
                    }
                    if (!wantOnline) {
                        l.disconnect();
                    }
                    while (true) {
                        MqttLink.Packet p = l.read();
                        if (p.type() == MqttLink.SUBACK) {
                            online = true;
                        } else if (p.type() == MqttLink.PUBLISH) {
                            MqttLink.Publish m = l.publish(p);
                            received(m.payload());
                            if (m.qos() > 0) {
                                l.puback(m.packetId());
                            }
                            if (!l.buffered()) {
                                l.flush();
                            }
                        }
                    }
                } catch (IOException e) {
                    // killed broker, or our own DISCONNECT
                } finally {
                    online = false;
                    link = null;
                }
                BrokerProcess.sleep(10);
            }
        }
    }

    private byte[] payload(int publisher, long seq) {
        return ByteBuffer.allocate(Math.max(12, payload)).putInt(publisher).putLong(seq).array();
    }

    private void received(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        int publisher = b.getInt();
        int seq = (int) b.getLong();
        if (publisher < 0 || publisher >= ledgers.length) {
            synchronized (problems) {
                problems.add("a message of unknown publisher " + publisher);
            }
            return;
        }
        Ledger l = ledgers[publisher];
        synchronized (l) {
            if (l.received.get(seq)) {
                l.duplicates++;
            } else {
                l.received.set(seq);
            }
        }
        receivedTotal.incrementAndGet();
    }

    @Override
    public Integer call() throws Exception {
        Loopback.require(host);
        mqtt5 = protocol.startsWith("5");
        ledgers = new Ledger[pairs];
        Publisher[] publishers = new Publisher[pairs];
        Subscriber[] subscribers = new Subscriber[pairs];
        for (int i = 0; i < pairs; i++) {
            ledgers[i] = new Ledger();
            publishers[i] = new Publisher(i);
            subscribers[i] = new Subscriber(i);
        }
        Random random = new Random(seed);
        List<Double> startSeconds = new ArrayList<>();
        List<Map<String, Object>> cycleRows = new ArrayList<>();
        long[][] boundary = new long[cycles + 1][pairs];
        BrokerProcess broker = BrokerProcess.start(command, brokerLog, host, port);
        startSeconds.add(broker.since(broker.awaitPort(host, port, readyTimeout)));
        for (Subscriber s : subscribers) {
            s.start();
        }
        for (Publisher p : publishers) {
            p.start();
        }
        long t0 = System.nanoTime();
        try {
            for (int c = 1; c <= cycles; c++) {
                awaitOnline(subscribers, c);
                publishing = true;
                double load = loadMin + random.nextDouble() * (loadMax - loadMin);
                long cycleStart = System.nanoTime();
                List<Integer> offline = new ArrayList<>();
                if (offlineEvery > 0 && load > 1) {
                    BrokerProcess.sleep(1000);
                    for (Subscriber s : subscribers) {
                        if (s.index % offlineEvery == c % offlineEvery) {
                            s.goOffline();
                            offline.add(s.index);
                        }
                    }
                }
                long killAt = cycleStart + (long) (load * 1e9);
                while (System.nanoTime() - killAt < 0) {
                    BrokerProcess.sleep(Math.max(1, (killAt - System.nanoTime()) / 1_000_000));
                }
                int connectedPublishers = 0;
                for (Publisher p : publishers) {
                    connectedPublishers += p.connected ? 1 : 0;
                }
                broker.kill();
                publishing = false;
                long acked = 0;
                for (int i = 0; i < pairs; i++) {
                    boundary[c][i] = publishers[i].nextSequence;
                    synchronized (ledgers[i]) {
                        acked += ledgers[i].acked.cardinality();
                    }
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("cycle", c);
                row.put("loadSeconds", load);
                row.put("publishersConnectedAtKill", connectedPublishers);
                row.put("subscribersOffline", offline.size());
                row.put("ackedSoFar", acked);
                row.put("receivedSoFar", receivedTotal.get());
                cycleRows.add(row);
                System.err.printf(Locale.ROOT, "[kill-cycles] %s cycle %d: killed after %.1f s of load; acknowledged so far %d%n",
                        label, c, load, acked);
                // every connection of the old process is gone; start again
                for (Publisher p : publishers) {
                    while (p.connected) {
                        BrokerProcess.sleep(5);
                    }
                }
                broker = BrokerProcess.start(command, brokerLog, host, port);
                double up = broker.since(broker.awaitPort(host, port, readyTimeout));
                startSeconds.add(up);
                row.put("restartPortSeconds", up);
                for (Subscriber s : subscribers) {
                    s.wantOnline = true;
                }
            }
            // the end: everyone back, nothing more published; wait until every acknowledged message arrived or
            // the subscribers have been quiet for drain-quiet
            awaitOnline(subscribers, cycles + 1);
            long drainStart = System.nanoTime();
            long last = receivedTotal.get();
            long lastChange = System.nanoTime();
            while (true) {
                long now = System.nanoTime();
                long got = receivedTotal.get();
                if (got != last) {
                    last = got;
                    lastChange = now;
                }
                if (lostAll() == 0 || now - lastChange > drainQuiet * 1e9 || now - drainStart > drainTimeout * 1e9) {
                    break;
                }
                BrokerProcess.sleep(50);
            }
        } finally {
            done = true;
            publishing = false;
            for (Subscriber s : subscribers) {
                s.goOffline();
            }
            broker.stop(60);
        }
        long acked = 0;
        long received = 0;
        long duplicates = 0;
        long deliveredUnacked = 0;
        for (Ledger l : ledgers) {
            acked += l.acked.cardinality();
            received += l.received.cardinality();
            duplicates += l.duplicates;
            BitSet extra = (BitSet) l.received.clone();
            extra.andNot(l.acked);
            deliveredUnacked += extra.cardinality();
        }
        long lost = lostAll();
        // lost per cycle: acknowledged in cycle c (sequence numbers from boundary[c-1] to boundary[c])
        for (int c = 1; c <= cycles; c++) {
            cycleRows.get(c - 1).put("lost", lostBetween(boundary[c - 1], boundary[c]));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("label", label);
        r.put("command", String.join(" ", command));
        r.put("pairs", pairs);
        r.put("ratePerPublisher", rate);
        r.put("cycles", cycles);
        r.put("seconds", (System.nanoTime() - t0) / 1e9);
        r.put("acknowledged", acked);
        r.put("receivedDistinct", received);
        r.put("lost", lost);
        r.put("duplicates", duplicates);
        r.put("deliveredWithoutAck", deliveredUnacked);
        r.put("reconnectsWithoutSession", missingSessions.get());
        double[] starts = startSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        r.put("startPortSecondsMedian", starts[starts.length / 2]);
        r.put("startPortSecondsMax", starts[starts.length - 1]);
        r.put("problems", problems);
        r.put("perCycle", cycleRows);
        System.out.printf(Locale.ROOT, "%s: %d cycles, %d acknowledged, %d received, LOST %d, duplicates %d, delivered "
                        + "without PUBACK %d, reconnects that found no session %d, restart to port median %.2f s%n",
                label, cycles, acked, received, lost, duplicates, deliveredUnacked, missingSessions.get(),
                starts[starts.length / 2]);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), r);
        }
        return problems.isEmpty() ? 0 : 3;
    }

    /** Acknowledged and never received, over all publishers. */
    private long lostAll() {
        return lostBetween(null, null);
    }

    /** The same for the sequence numbers of each publisher i from from[i] to to[i] (null: all). */
    private long lostBetween(long[] from, long[] to) {
        long n = 0;
        for (int i = 0; i < ledgers.length; i++) {
            Ledger l = ledgers[i];
            synchronized (l) {
                BitSet missing = (BitSet) l.acked.clone();
                missing.andNot(l.received);
                if (from != null && to != null) {
                    n += missing.get((int) from[i], (int) Math.max(from[i], to[i])).cardinality();
                } else {
                    n += missing.cardinality();
                }
            }
        }
        return n;
    }

    /** Until every subscriber that should be online is (its subscription in place); problems noted on timeout. */
    private void awaitOnline(Subscriber[] subscribers, int cycle) {
        long deadline = System.nanoTime() + (long) (readyTimeout * 1e9);
        while (System.nanoTime() - deadline < 0) {
            if (Arrays.stream(subscribers).allMatch(s -> s.online)) {
                return;
            }
            BrokerProcess.sleep(5);
        }
        long off = Arrays.stream(subscribers).filter(s -> !s.online).count();
        synchronized (problems) {
            problems.add("cycle " + cycle + ": " + off + " subscribers not back within " + readyTimeout + " s");
        }
    }
}
