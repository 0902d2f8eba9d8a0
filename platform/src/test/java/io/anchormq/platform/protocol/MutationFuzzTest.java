package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.RawMqttClient.PUBACK;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBCOMP;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBREC;
import static io.anchormq.platform.testsupport.RawMqttClient.PUBREL;
import static io.anchormq.platform.testsupport.RawMqttClient.V3_1_1;
import static io.anchormq.platform.testsupport.RawMqttClient.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.anchormq.platform.AnchormqServer;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.BrokerMemory;
import io.anchormq.platform.testsupport.RawMqttClient;
import io.anchormq.platform.testsupport.RawMqttClient.Connect;
import io.anchormq.platform.testsupport.RawMqttClient.Packet;
import io.anchormq.platform.testsupport.RawMqttClient.Props;
import io.anchormq.platform.testsupport.RawMqttClient.Publish;
import io.anchormq.platform.testsupport.RawMqttClient.Subscription;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bounded mutation fuzzing over raw sockets against one in-process broker. A corpus of valid MQTT 3.1.1 and 5.0
 * packets is mutated with a seeded {@link Random} (bit flips, byte insert/delete/overwrite, truncation, remaining
 * length and inner length corruption, splicing, type-nibble swaps) and sent on fresh connections from a small pool of
 * threads. The campaign runs once in {@link #fuzz()}; the tests assert its outcome.
 *
 * <p>System properties: {@code fuzz.packets} (default 3000; the acceptance run uses 100000), {@code fuzz.seed}.
 */
class MutationFuzzTest {

    private static final int TOTAL_PACKETS = Integer.getInteger("fuzz.packets", 3000);
    private static final long SEED = Long.getLong("fuzz.seed", 0x5EED_A11C_4E55L);
    private static final int THREADS = 4;
    private static final int PROBE_EVERY = 300;
    private static final int CLIENT_IDS_PER_WORKER = 16;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern ONLINE_TRUE = Pattern.compile("\"online\"\\s*:\\s*true");

    private static AnchormqServer server;
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String PROBE_TOPIC = "anchormq-fuzz-probe/" + UUID.randomUUID();

    // ---- campaign results
    /** Packets built and handed to a connection. */
    private static final AtomicLong packetsSent = new AtomicLong();
    /** Packets completely written before the broker closed the connection. */
    private static final AtomicLong packetsWritten = new AtomicLong();
    private static final AtomicInteger connections = new AtomicInteger();
    private static final AtomicInteger connectFailures = new AtomicInteger();
    private static final AtomicInteger connacks = new AtomicInteger();
    private static final AtomicInteger lingering = new AtomicInteger();
    /** Connections whose first byte from the broker was not a CONNACK fixed header (0x20). */
    private static final AtomicInteger notConnackFirst = new AtomicInteger();
    private static final Map<String, Integer> notConnackFirstExamples = new java.util.concurrent.ConcurrentHashMap<>();
    private static final Map<String, List<byte[]>> LAST_BY_CLIENT_ID = new java.util.concurrent.ConcurrentHashMap<>();
    /** Inputs (hex, one packet per line) of connections the broker did not close within 1 s of the client's FIN. */
    private static final List<String> lingeringExamples = java.util.Collections.synchronizedList(new ArrayList<>());
    private static long openConnectionsBefore = -1;
    private static long openConnectionsAfter = -1;
    private static final AtomicReference<Throwable> workerBug = new AtomicReference<>();
    private static int probesSent;
    private static int probesDelivered;
    private static String probeFailure;
    private static long heapBefore;
    private static long heapAfter;
    private static Set<String> healthyIds;
    private static Set<String> onlineBefore;
    private static Set<String> onlineAfter;
    private static long elapsedMs;

    @BeforeAll
    static void fuzz() throws Exception {
        // started directly (not via BrokerFixture) so that its connection counter can be read
        server = AnchormqServer.start(ConfigFactory.parseString("""
                anchormq.mqtt.host = "127.0.0.1"
                anchormq.mqtt.port = 0
                anchormq.http.port = 0
                anchormq.mqtt.connect-timeout = 2s
                """).withFallback(ConfigFactory.parseMap(Map.of("anchormq.data-dir", "target/test-data/" + RUN)))
                .withFallback(ConfigFactory.load()));
        try (RawMqttClient subscriber = RawMqttClient.open(server.mqttPort());
                RawMqttClient publisher = RawMqttClient.open(server.mqttPort())) {
            healthyIds = Set.of("fuzz-healthy-subscriber-" + RUN, "fuzz-probe-publisher-" + RUN);
            subscriber.connect5("fuzz-healthy-subscriber-" + RUN);
            subscriber.subscribe(1, PROBE_TOPIC, 1, 0x01);
            publisher.connect311("fuzz-probe-publisher-" + RUN);

            // warm up the broker's code paths so that the heap baseline is not dominated by one-off allocations
            runCampaign(Math.min(300, TOTAL_PACKETS), SEED ^ 0xFFFF, null, null);
            probe(publisher, subscriber);
            Thread.sleep(500);
            onlineBefore = onlineClientIds(Duration.ofSeconds(10), healthyIds);
            openConnectionsBefore = awaitOpenConnections(healthyIds.size(), Duration.ofSeconds(5));
            heapBefore = BrokerMemory.usedHeapAfterGc();
            packetsSent.set(0);
            packetsWritten.set(0);
            connections.set(0);
            connectFailures.set(0);
            connacks.set(0);
            lingering.set(0);
            lingeringExamples.clear();
            notConnackFirst.set(0);
            notConnackFirstExamples.clear();
            probesSent = 0;
            probesDelivered = 0;

            long start = System.nanoTime();
            runCampaign(TOTAL_PACKETS, SEED, publisher, subscriber);
            elapsedMs = (System.nanoTime() - start) / 1_000_000;
            if (probeFailure == null) {
                probe(publisher, subscriber); // one more after the last packet
            }

            onlineAfter = onlineClientIds(Duration.ofSeconds(15), healthyIds);
            openConnectionsAfter = awaitOpenConnections(openConnectionsBefore, Duration.ofSeconds(10));
            heapAfter = BrokerMemory.usedHeapAfterGc();
            System.out.printf("fuzz: seed=%d packets=%d (fully written %d) connections=%d connacks=%d "
                            + "connectFailures=%d lingering=%d notConnackFirst=%d %s probes=%d/%d elapsed=%d ms heap %s -> %s "
                            + "open connections %d -> %d online %s -> %s%n",
                    SEED, packetsSent.get(), packetsWritten.get(), connections.get(), connacks.get(), connectFailures.get(),
                    lingering.get(), notConnackFirst.get(), notConnackFirstExamples, probesDelivered, probesSent, elapsedMs, BrokerMemory.mib(heapBefore),
                    BrokerMemory.mib(heapAfter), openConnectionsBefore, openConnectionsAfter, onlineBefore, onlineAfter);
            subscriber.disconnectAndClose();
            publisher.disconnectAndClose();
        }
    }

    @AfterAll
    static void stopBroker() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void fuzzerSentTheConfiguredNumberOfPacketsOnAcceptedConnections() {
        assertNull(workerBug.get(), () -> "fuzzer bug: " + workerBug.get());
        assertTrue(packetsSent.get() >= TOTAL_PACKETS, "sent " + packetsSent.get() + " of " + TOTAL_PACKETS);
        assertEquals(0, connectFailures.get(), "TCP connections refused or timed out by the broker");
        assertTrue(connacks.get() > 0, "no fuzz connection ever got a CONNACK: the corpus is broken");
    }

    @Test
    void everyProbeMessageReachesTheHealthySubscriberDuringFuzzing() {
        assertNull(probeFailure, probeFailure);
        assertTrue(probesSent >= TOTAL_PACKETS / PROBE_EVERY, "only " + probesSent + " probes were sent");
        assertEquals(probesSent, probesDelivered);
    }

    @Test
    void brokerHeapIsFlatAfterFuzzing() {
        long growth = heapAfter - heapBefore;
        assertTrue(growth < 64 * BrokerMemory.MIB, "used heap grew by " + BrokerMemory.mib(growth) + " ("
                + BrokerMemory.mib(heapBefore) + " -> " + BrokerMemory.mib(heapAfter) + ") over "
                + packetsSent.get() + " fuzz packets");
    }

    @Test
    void onlineClientsReturnToBaselineAfterFuzzing() {
        assertEquals(healthyIds, onlineBefore, "online clients in $SYS/anchormq/presence before fuzzing "
                + "(after the warm-up connections closed)");
        assertEquals(healthyIds, onlineAfter, "online clients in $SYS/anchormq/presence after every fuzz "
                + "connection closed");
    }

    @Test
    void openConnectionCountReturnsToBaselineAfterFuzzing() {
        assertEquals(openConnectionsBefore, openConnectionsAfter, () -> "open connections before vs after fuzzing; "
                + lingering.get() + " fuzz connections were not closed by the broker within 1 s of the client's FIN "
                + "(then reset by the client), e.g. (packets as sent):" + lingeringExamples);
    }

    @Test
    void brokerSendsConnackBeforeAnyOtherPacketOnEveryFuzzConnection() {
        // 3.1.1 [MQTT-3.2.0-1]: the first packet from the server MUST be CONNACK; 5.0 [MQTT-3.2.0-1] and
        // [MQTT-3.14.0-1]: no other packet (in particular no DISCONNECT) before a CONNACK
        assertEquals(0, notConnackFirst.get(), () -> "connections whose first packet from the broker was not CONNACK, "
                + "by first byte: " + notConnackFirstExamples);
    }

    @Test
    void brokerServesNewClientsAfterFuzzing() throws IOException {
        String topic = "fuzz-after/" + RUN;
        try (RawMqttClient sub = RawMqttClient.open(server.mqttPort());
                RawMqttClient pub = RawMqttClient.open(server.mqttPort())) {
            sub.connect5("fuzz-after-sub-" + RUN);
            sub.subscribe(1, topic, 2, 0x02);
            pub.connect311("fuzz-after-pub-" + RUN);
            pub.send(Publish.v311(topic).qos(2).packetId(5).payload("after"));
            assertEquals(5, pub.expectPacket(PUBREC).packetId);
            pub.send(RawMqttClient.ack(PUBREL, V3_1_1, 5, 0, Props.NONE));
            assertEquals(5, pub.expectPacket(PUBCOMP).packetId);
            Packet received = sub.expectPublish(topic, "after".getBytes(StandardCharsets.UTF_8),
                    RawMqttClient.DEFAULT_TIMEOUT);
            Packet pubrel = sub.expectPacket(PUBREL);
            assertEquals(received.packetId, pubrel.packetId);
            sub.send(RawMqttClient.ack(PUBCOMP, V5, pubrel.packetId, 0, Props.NONE));
            sub.disconnectAndClose();
            pub.disconnectAndClose();
        }
    }

    // ============================================================================================== campaign

    /** Sends {@code total} packets from {@link #THREADS} workers; probes every {@link #PROBE_EVERY} if clients given. */
    private static void runCampaign(int total, long seed, RawMqttClient publisher, RawMqttClient subscriber)
            throws Exception {
        AtomicInteger connectionIndex = new AtomicInteger();
        AtomicLong sentThisCampaign = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < THREADS; w++) {
                int worker = w;
                workers.add(pool.submit(() -> {
                    int local = 0;
                    while (sentThisCampaign.get() < total && probeFailure == null) {
                        int index = connectionIndex.getAndIncrement();
                        Random random = new Random(seed ^ (index * 0x9E3779B97F4A7C15L));
                        String clientId = "fz" + RUN + "-" + worker + "-" + (local++ % CLIENT_IDS_PER_WORKER);
                        List<byte[]> packets = buildConnection(random, clientId);
                        sentThisCampaign.addAndGet(packets.size());
                        packetsSent.addAndGet(packets.size());
                        try {
                            fuzzOneConnection(clientId, packets, random);
                        } catch (RuntimeException | Error e) {
                            workerBug.compareAndSet(null, e);
                            return;
                        }
                    }
                }));
            }
            long nextProbe = PROBE_EVERY;
            while (!workers.stream().allMatch(Future::isDone)) {
                if (publisher != null && probeFailure == null && sentThisCampaign.get() >= nextProbe) {
                    probe(publisher, subscriber);
                    nextProbe += PROBE_EVERY;
                } else {
                    Thread.sleep(5);
                }
            }
            for (Future<?> f : workers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static List<byte[]> buildConnection(Random random, String clientId) {
        int version = random.nextBoolean() ? V5 : V3_1_1;
        List<byte[]> packets = new ArrayList<>();
        byte[] connect = Corpus.connect(version, clientId, random);
        packets.add(random.nextInt(100) < 15 ? Mutator.mutate(connect, random) : connect);
        int count = 1 + random.nextInt(6);
        for (int i = 0; i < count; i++) {
            byte[] packet = Corpus.pick(version, random);
            packets.add(random.nextInt(100) < 85 ? Mutator.mutate(packet, random) : packet);
        }
        return packets;
    }

    /** One fuzz connection: send everything, half-close, read until the broker closes (bounded), reset. */
    private static void fuzzOneConnection(String clientId, List<byte[]> packets, Random random) {
        List<byte[]> previousWithSameId = LAST_BY_CLIENT_ID.put(clientId, packets);
        Socket socket = new Socket();
        try {
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress("127.0.0.1", server.mqttPort()), 2000);
            } catch (IOException e) {
                connectFailures.incrementAndGet();
                return;
            }
            connections.incrementAndGet();
            socket.setSoTimeout(300);
            OutputStream out = socket.getOutputStream();
            try {
                if (random.nextInt(100) < 20) {
                    for (byte[] p : packets) { // packet by packet, sometimes split mid-packet
                        int cut = p.length > 1 && random.nextBoolean() ? 1 + random.nextInt(p.length - 1) : p.length;
                        out.write(p, 0, cut);
                        out.flush();
                        out.write(p, cut, p.length - cut);
                        out.flush();
                        packetsWritten.incrementAndGet();
                    }
                } else {
                    out.write(RawMqttClient.concat(packets.toArray(new byte[0][])));
                    out.flush();
                    packetsWritten.addAndGet(packets.size());
                }
                socket.shutdownOutput();
            } catch (IOException brokerClosedEarly) {
                // expected for most mutations: the broker closes on the first malformed packet
            }
            if (!drainUntilClosed(socket) && lingeringExamples.size() < 3) {
                StringBuilder example = new StringBuilder("\n  connection of client id ").append(clientId)
                        .append(':');
                for (byte[] p : packets) {
                    example.append("\n    ").append(java.util.HexFormat.of().formatHex(p));
                }
                example.append("\n  preceded by the previous connection with the same client id:");
                for (byte[] p : previousWithSameId == null ? List.<byte[]>of() : previousWithSameId) {
                    example.append("\n    ").append(java.util.HexFormat.of().formatHex(p));
                }
                lingeringExamples.add(example.toString());
            }
        } catch (IOException ignored) {
            // socket option failures on an already reset socket
        } finally {
            try {
                socket.setSoLinger(true, 0); // RST: no TIME_WAIT pile-up over ~30k connections
            } catch (IOException ignored) {
                // closed already
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing
            }
        }
    }

    /** Reads until EOF/reset for at most 1 s; false if the broker kept the connection open that long. */
    private static boolean drainUntilClosed(Socket socket) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        byte[] buf = new byte[4096];
        boolean first = true;
        try {
            InputStream in = socket.getInputStream();
            while (System.nanoTime() < deadline) {
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (n < 0) {
                    return true;
                }
                if (first && n > 0) {
                    if ((buf[0] & 0xFF) == 0x20) {
                        connacks.incrementAndGet();
                    } else {
                        notConnackFirst.incrementAndGet();
                        notConnackFirstExamples.merge(String.format("0x%02X", buf[0] & 0xFF), 1, Integer::sum);
                    }
                }
                first = false;
            }
            lingering.incrementAndGet(); // the broker kept a half-closed connection open for > 1 s
            return false;
        } catch (IOException reset) {
            return true; // closed by reset
        }
    }

    private static void probe(RawMqttClient publisher, RawMqttClient subscriber) {
        int n = ++probesSent;
        String payload = "probe-" + n;
        try {
            publisher.send(Publish.v311(PROBE_TOPIC).qos(1).packetId(1 + n % 60000).payload(payload));
            Packet puback = publisher.expectPacket(PUBACK, PROBE_TIMEOUT);
            assertEquals(1 + n % 60000, puback.packetId);
            subscriber.expectPublish(PROBE_TOPIC, payload.getBytes(StandardCharsets.UTF_8), PROBE_TIMEOUT);
            probesDelivered++;
        } catch (IOException | AssertionError e) {
            probeFailure = "probe " + n + " after " + packetsSent.get() + " fuzz packets: " + e;
        }
    }

    /** The broker's open connection counter. */
    private static long openConnections() {
        return server.broker().listenerMetrics().connectionsOpen.sum();
    }

    private static long awaitOpenConnections(long expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long open = openConnections();
        while (open != expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
            open = openConnections();
        }
        return open;
    }

    /**
     * Client ids reported online by the retained presence messages on {@code $SYS/anchormq/presence/#}, excluding the
     * checker itself. Polls until the set equals {@code expected} (if given) or the timeout ends.
     */
    private static Set<String> onlineClientIds(Duration timeout, Set<String> expected) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> online;
        int round = 0;
        do {
            String checkerId = "fuzz-presence-checker-" + RUN + "-" + round++;
            Map<String, String> latest = new TreeMap<>();
            try (RawMqttClient checker = RawMqttClient.open(server.mqttPort())) {
                checker.connect311(checkerId);
                checker.send(RawMqttClient.subscribe(V3_1_1, 1, Props.NONE,
                        new Subscription("$SYS/anchormq/presence/#", 0)));
                checker.expectPacket(RawMqttClient.SUBACK);
                Packet p;
                while ((p = checker.poll(Duration.ofMillis(700))) != null) {
                    if (p.type == RawMqttClient.PUBLISH) {
                        latest.put(p.topic, p.payloadAsString());
                    }
                }
                checker.disconnectAndClose();
            }
            online = new TreeSet<>();
            for (Map.Entry<String, String> e : latest.entrySet()) {
                String clientId = e.getKey().substring(e.getKey().lastIndexOf('/') + 1);
                if (!clientId.startsWith("fuzz-presence-checker-") && ONLINE_TRUE.matcher(e.getValue()).find()) {
                    online.add(clientId);
                }
            }
            if (expected == null || expected.equals(online)) {
                return online;
            }
        } while (System.nanoTime() < deadline);
        return online;
    }

    // ============================================================================================== corpus

    /** Valid packets of both protocol versions. */
    static final class Corpus {
        private static final List<byte[]> V311_PACKETS = new ArrayList<>();
        private static final List<byte[]> V5_PACKETS = new ArrayList<>();

        static {
            byte[] small = "fuzz-payload".getBytes(StandardCharsets.UTF_8);
            // ---- 3.1.1
            V311_PACKETS.add(Publish.v311("fuzz/a").payload(small).encode());
            V311_PACKETS.add(Publish.v311("fuzz/a/b").qos(1).packetId(10).payload(small).encode());
            V311_PACKETS.add(Publish.v311("fuzz/c").qos(2).packetId(11).payload(small).encode());
            V311_PACKETS.add(Publish.v311("fuzz/r").qos(1).packetId(12).retain(true).payload(small).encode());
            V311_PACKETS.add(RawMqttClient.subscribe(V3_1_1, 20, Props.NONE, new Subscription("fuzz/#", 2),
                    new Subscription("fuzz/+/b", 1), new Subscription("fuzz/r", 0)));
            V311_PACKETS.add(RawMqttClient.unsubscribe(V3_1_1, 21, Props.NONE, "fuzz/#", "fuzz/+/b"));
            V311_PACKETS.add(RawMqttClient.ack(PUBACK, V3_1_1, 30, 0, Props.NONE));
            V311_PACKETS.add(RawMqttClient.ack(PUBREC, V3_1_1, 31, 0, Props.NONE));
            V311_PACKETS.add(RawMqttClient.ack(PUBREL, V3_1_1, 11, 0, Props.NONE));
            V311_PACKETS.add(RawMqttClient.ack(PUBCOMP, V3_1_1, 32, 0, Props.NONE));
            V311_PACKETS.add(RawMqttClient.pingreq());
            V311_PACKETS.add(RawMqttClient.disconnect(V3_1_1, 0, Props.NONE));
            // ---- 5.0
            V5_PACKETS.add(Publish.v5("fuzz/a").payload(small).encode());
            V5_PACKETS.add(Publish.v5("fuzz/a/b").qos(1).packetId(10).payload(small)
                    .properties(Props.of().integer(RawMqttClient.MESSAGE_EXPIRY_INTERVAL, 60)
                            .integer(RawMqttClient.PAYLOAD_FORMAT_INDICATOR, 1)
                            .string(RawMqttClient.CONTENT_TYPE, "text/plain")
                            .string(RawMqttClient.RESPONSE_TOPIC, "fuzz/reply")
                            .binary(RawMqttClient.CORRELATION_DATA, new byte[] {1, 2, 3})
                            .userProperty("k", "v").userProperty("k", "v2"))
                    .encode());
            V5_PACKETS.add(Publish.v5("fuzz/c").qos(2).packetId(11).payload(small)
                    .properties(Props.of().integer(RawMqttClient.TOPIC_ALIAS, 1)).encode());
            V5_PACKETS.add(Publish.v5("").qos(1).packetId(13).payload(small)
                    .properties(Props.of().integer(RawMqttClient.TOPIC_ALIAS, 1)).encode());
            V5_PACKETS.add(Publish.v5("fuzz/r").qos(0).retain(true).payload(small)
                    .properties(Props.of().integer(RawMqttClient.MESSAGE_EXPIRY_INTERVAL, 5)).encode());
            V5_PACKETS.add(RawMqttClient.subscribe(V5, 20,
                    Props.of().integer(RawMqttClient.SUBSCRIPTION_IDENTIFIER, 7).userProperty("s", "1"),
                    new Subscription("fuzz/#", RawMqttClient.options(2, true, true, 1)),
                    new Subscription("$share/grp/fuzz/+", RawMqttClient.options(1, false, false, 0)),
                    new Subscription("fuzz/r", RawMqttClient.options(0, false, true, 2))));
            V5_PACKETS.add(RawMqttClient.unsubscribe(V5, 21, Props.of().userProperty("u", "1"), "fuzz/#",
                    "$share/grp/fuzz/+"));
            V5_PACKETS.add(RawMqttClient.ack(PUBACK, V5, 30, 0x10, Props.of().string(RawMqttClient.REASON_STRING,
                    "fuzz")));
            V5_PACKETS.add(RawMqttClient.ack(PUBREC, V5, 31, 0, Props.NONE));
            V5_PACKETS.add(RawMqttClient.ack(PUBREL, V5, 11, 0, Props.NONE));
            V5_PACKETS.add(RawMqttClient.ack(PUBREL, V5, 99, 0x92, Props.of().userProperty("r", "x")));
            V5_PACKETS.add(RawMqttClient.ack(PUBCOMP, V5, 32, 0, Props.NONE));
            V5_PACKETS.add(RawMqttClient.pingreq());
            V5_PACKETS.add(RawMqttClient.disconnect(V5, 0x04, Props.of().string(RawMqttClient.REASON_STRING,
                    "bye")));
            V5_PACKETS.add(RawMqttClient.disconnect(V5, 0, Props.NONE));
        }

        static byte[] connect(int version, String clientId, Random random) {
            Connect c = version == V5 ? Connect.v5(clientId) : Connect.v311(clientId);
            c.keepAlive(random.nextInt(3) == 0 ? 0 : 30);
            if (random.nextBoolean()) {
                c.username("fuzz-user").password("pw".getBytes(StandardCharsets.UTF_8));
            }
            if (random.nextBoolean()) {
                c.will("fuzz/will", "gone".getBytes(StandardCharsets.UTF_8), random.nextInt(3), false);
            }
            if (version == V5) {
                c.properties(Props.of().integer(RawMqttClient.SESSION_EXPIRY_INTERVAL, 0)
                        .integer(RawMqttClient.RECEIVE_MAXIMUM, 10)
                        .integer(RawMqttClient.MAXIMUM_PACKET_SIZE, 65536)
                        .integer(RawMqttClient.TOPIC_ALIAS_MAXIMUM, 5)
                        .integer(RawMqttClient.REQUEST_PROBLEM_INFORMATION, 1)
                        .userProperty("fuzz", "1"));
                if (c.willTopic != null) {
                    c.willProperties(Props.of().integer(RawMqttClient.WILL_DELAY_INTERVAL, 0)
                            .integer(RawMqttClient.MESSAGE_EXPIRY_INTERVAL, 10)
                            .string(RawMqttClient.CONTENT_TYPE, "text/plain")
                            .string(RawMqttClient.RESPONSE_TOPIC, "fuzz/will-reply")
                            .binary(RawMqttClient.CORRELATION_DATA, new byte[] {9})
                            .userProperty("w", "1"));
                }
            }
            return c.encode();
        }

        static byte[] pick(int version, Random random) {
            List<byte[]> list = version == V5 ? V5_PACKETS : V311_PACKETS;
            return list.get(random.nextInt(list.size()));
        }

        static byte[] pickAny(Random random) {
            return pick(random.nextBoolean() ? V5 : V3_1_1, random);
        }
    }

    // ============================================================================================== mutator

    /** Structure-unaware byte mutations plus fixed-header-aware length corruption. */
    static final class Mutator {
        private static final int[] INTERESTING = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0xC0, 0xED, 0x23, 0x2B};

        static byte[] mutate(byte[] original, Random random) {
            byte[] data = original.clone();
            int rounds = 1 + random.nextInt(3);
            for (int i = 0; i < rounds; i++) {
                data = mutateOnce(data, random);
            }
            return data;
        }

        private static byte[] mutateOnce(byte[] data, Random r) {
            if (data.length == 0) {
                return new byte[] {(byte) r.nextInt(256)};
            }
            switch (r.nextInt(10)) {
                case 0 -> { // bit flips
                    int flips = 1 + r.nextInt(4);
                    for (int i = 0; i < flips; i++) {
                        data[r.nextInt(data.length)] ^= (byte) (1 << r.nextInt(8));
                    }
                    return data;
                }
                case 1 -> { // overwrite with an interesting or random byte
                    data[r.nextInt(data.length)] = (byte) (r.nextBoolean()
                            ? INTERESTING[r.nextInt(INTERESTING.length)] : r.nextInt(256));
                    return data;
                }
                case 2 -> { // insert bytes
                    int at = r.nextInt(data.length + 1);
                    byte[] insert = new byte[1 + r.nextInt(8)];
                    r.nextBytes(insert);
                    return splice(Arrays.copyOf(data, at), insert, Arrays.copyOfRange(data, at, data.length));
                }
                case 3 -> { // delete bytes
                    int at = r.nextInt(data.length);
                    int len = Math.min(data.length - at, 1 + r.nextInt(8));
                    return splice(Arrays.copyOf(data, at), new byte[0],
                            Arrays.copyOfRange(data, at + len, data.length));
                }
                case 4 -> { // truncate
                    return Arrays.copyOf(data, r.nextInt(data.length));
                }
                case 5 -> { // corrupt the remaining length
                    return corruptRemainingLength(data, r);
                }
                case 6 -> { // corrupt an inner 2-byte length (or any 2 bytes)
                    if (data.length < 4) {
                        return data;
                    }
                    int at = 2 + r.nextInt(data.length - 3);
                    int value = switch (r.nextInt(4)) {
                        case 0 -> 0;
                        case 1 -> 0xFFFF;
                        case 2 -> ((data[at] & 0xFF) << 8 | (data[at + 1] & 0xFF)) + (r.nextBoolean() ? 1 : -1);
                        default -> r.nextInt(0x10000);
                    };
                    data[at] = (byte) (value >> 8);
                    data[at + 1] = (byte) value;
                    return data;
                }
                case 7 -> { // splice with another corpus packet
                    byte[] other = Corpus.pickAny(r);
                    int cutA = r.nextInt(data.length + 1);
                    int cutB = r.nextInt(other.length + 1);
                    return splice(Arrays.copyOf(data, cutA), new byte[0], Arrays.copyOfRange(other, cutB,
                            other.length));
                }
                case 8 -> { // duplicate a segment
                    int at = r.nextInt(data.length);
                    int len = Math.min(data.length - at, 1 + r.nextInt(16));
                    byte[] segment = Arrays.copyOfRange(data, at, at + len);
                    return splice(Arrays.copyOf(data, at + len), segment,
                            Arrays.copyOfRange(data, at + len, data.length));
                }
                default -> { // change packet type and/or flags nibble
                    int first = data[0] & 0xFF;
                    data[0] = (byte) (r.nextBoolean() ? (r.nextInt(16) << 4 | (first & 0x0F))
                            : (first & 0xF0 | r.nextInt(16)));
                    return data;
                }
            }
        }

        private static byte[] corruptRemainingLength(byte[] data, Random r) {
            int pos = 1;
            while (pos < data.length && pos < 5 && (data[pos] & 0x80) != 0) {
                pos++;
            }
            int bodyStart = Math.min(pos + 1, data.length);
            int bodyLength = data.length - bodyStart;
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            header.write(data[0]);
            switch (r.nextInt(6)) {
                case 0 -> RawMqttClient.writeVarInt(header, Math.max(0, bodyLength + 1 + r.nextInt(8)));
                case 1 -> RawMqttClient.writeVarInt(header, Math.max(0, bodyLength - 1 - r.nextInt(4)));
                case 2 -> RawMqttClient.writeVarInt(header, r.nextInt(268_435_456));
                case 3 -> header.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});
                case 4 -> header.writeBytes(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01});
                default -> { // non-minimal encoding of the right length
                    header.write(bodyLength & 0x7F | 0x80);
                    header.write(bodyLength >> 7 & 0x7F | 0x80);
                    header.write(bodyLength >> 14 & 0x7F);
                }
            }
            return splice(header.toByteArray(), new byte[0], Arrays.copyOfRange(data, bodyStart, data.length));
        }

        private static byte[] splice(byte[] a, byte[] b, byte[] c) {
            return RawMqttClient.concat(a, b, c);
        }
    }
}
