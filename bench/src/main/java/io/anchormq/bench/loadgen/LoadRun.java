package io.anchormq.bench.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One run of a scenario against one broker: connect the subscribers, then the publishers, publish for the warm-up
 * and the measured duration, drain, disconnect, report. Every phase has its own time limit, so a run always ends.
 */
public final class LoadRun {

    /** Errors kept verbatim for the report; the rest are only counted. */
    private static final int KEPT_ERRORS = 20;

    private final LoadSpec spec;
    private final String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    private final Recorder connectTimes = new Recorder(3);
    /** Each event loop records into its own histograms, so no two threads ever touch the same one. */
    private final Map<Thread, Latencies> latencies = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final AtomicLong setupErrors = new AtomicLong();
    private final List<BenchClient> subscribers = new ArrayList<>();
    private final List<BenchClient> publishers = new ArrayList<>();
    private final List<BenchClient> idle = new ArrayList<>();
    /** Persistent sessions: the first connection of each subscriber and publisher, closed before measuring. */
    private final List<BenchClient> primingSubscribers = new ArrayList<>();
    private final List<BenchClient> primingPublishers = new ArrayList<>();
    private DeliveryLedger ledger;
    /** The first TLS session's protocol and cipher suite, for the report; empty for plain TCP. */
    private final java.util.concurrent.atomic.AtomicReference<String> tlsSession = new java.util.concurrent.atomic.AtomicReference<>("");
    private volatile long measureFromNanos = Long.MAX_VALUE;
    private volatile long stopNanos = Long.MIN_VALUE;

    private final ProcessCpu generator = new ProcessCpu(ProcessHandle.current());
    private final Optional<ProcessCpu> broker;
    /** CPU samples at the start and end of the measured window (conn: of the connection phase). */
    private Optional<ProcessCpu.Sample> generatorFrom = Optional.empty();
    private Optional<ProcessCpu.Sample> generatorTo = Optional.empty();
    private Optional<ProcessCpu.Sample> brokerFrom = Optional.empty();
    private Optional<ProcessCpu.Sample> brokerTo = Optional.empty();

    private LoadRun(LoadSpec spec, Optional<ProcessHandle> broker) {
        this.spec = spec;
        this.broker = broker.map(ProcessCpu::new);
    }

    /** Runs the scenario; never throws for what the broker does, which goes into the report instead. */
    public static LoadReport execute(LoadSpec spec) {
        return execute(spec, Optional.empty());
    }

    /** The same, also sampling the CPU time of the broker's process over the measured window. */
    public static LoadReport execute(LoadSpec spec, Optional<ProcessHandle> broker) {
        return new LoadRun(spec, broker).run();
    }

    /** The same, and writes the {@link #timeline} of the run to {@code timeline}. */
    public static LoadReport execute(LoadSpec spec, Optional<ProcessHandle> broker, Path timeline)
            throws IOException {
        LoadRun run = new LoadRun(spec, broker);
        LoadReport report = run.run();
        Files.writeString(timeline, run.timeline());
        return report;
    }

    LoadSpec spec() {
        return spec;
    }

    /**
     * Latencies recorded by one event loop, plain histograms written by that thread only (a shared {@link Recorder}
     * costs every message two atomic updates of counters all the loops share); read once the loops have stopped.
     */
    static final class Latencies {
        /** PUBLISH written -> received by a subscriber. */
        final Histogram delivery = new Histogram(3);
        /** PUBLISH written -> PUBACK (QoS 2: PUBCOMP) read. */
        final Histogram ack = new Histogram(3);
        /** The worst delivery latency of the messages sent in each {@link #TICK_NANOS} of the measured window. */
        final long[] worstPerTick;

        Latencies(int ticks) {
            worstPerTick = new long[ticks];
        }
    }

    /** The timeline's resolution. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** The calling event loop's latency histograms. */
    Latencies latencies() {
        return latencies.computeIfAbsent(Thread.currentThread(),
                t -> new Latencies((int) (spec.duration().toNanos() / TICK_NANOS) + 1));
    }

    /**
     * The worst delivery latency (ms) of the messages sent in each 100 ms of the measured window, one line each
     * ({@code <ms into the window> <worst ms>}): whether a tail comes in bursts, and how often.
     */
    String timeline() {
        long[] worst = new long[(int) (spec.duration().toNanos() / TICK_NANOS) + 1];
        for (Latencies l : latencies.values()) {
            for (int i = 0; i < worst.length; i++) {
                worst[i] = Math.max(worst[i], l.worstPerTick[i]);
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < worst.length; i++) {
            out.append(i * TICK_NANOS / 1_000_000).append(' ').append(String.format("%.2f", worst[i] / 1e6))
                    .append('\n');
        }
        return out.toString();
    }

    private Histogram merged(Function<Latencies, Histogram> which) {
        Histogram all = new Histogram(3);
        for (Latencies l : latencies.values()) {
            all.add(which.apply(l));
        }
        return all;
    }

    // ---- callbacks from the clients (event loops) ---------------------------------------------------------

    void protocolError(String problem) {
        if (protocolErrors.incrementAndGet() <= KEPT_ERRORS) {
            errors.add(problem);
        }
    }

    private void setupError(String problem) {
        if (setupErrors.incrementAndGet() <= KEPT_ERRORS) {
            errors.add(problem);
        }
    }

    void negotiated(javax.net.ssl.SSLSession session) {
        tlsSession.compareAndSet("", session.getProtocol() + " " + session.getCipherSuite());
    }

    void connectTime(long nanos) {
        connectTimes.recordValue(Math.max(1, nanos));
    }

    boolean inMeasurement(long now) {
        return now - measureFromNanos >= 0 && now - stopNanos < 0;
    }

    void record(int sink, int publisher, long sequence, long sendNanos, long now, Latencies latencies) {
        DeliveryLedger.Outcome outcome = ledger.record(sink, publisher, sequence);
        if (outcome == DeliveryLedger.Outcome.MISROUTED) {
            protocolError("message " + sequence + " of publisher " + publisher + " delivered to sink " + sink
                    + ", which did not subscribe to it");
        } else if (outcome != DeliveryLedger.Outcome.DUPLICATE && sendNanos - measureFromNanos >= 0) {
            latencies.delivery.recordValue(Math.max(1, now - sendNanos));
            long[] worst = latencies.worstPerTick;
            int tick = (int) Math.min(worst.length - 1, (sendNanos - measureFromNanos) / TICK_NANOS);
            worst[tick] = Math.max(worst[tick], now - sendNanos);
        }
    }

    /** A QoS 1/2 PUBLISH sent at {@code sendNanos} was acknowledged (PUBACK, or PUBCOMP after PUBREC) now. */
    void acknowledgement(long sendNanos, long now, Histogram ackLatency) {
        if (sendNanos - measureFromNanos >= 0) {
            ackLatency.recordValue(Math.max(1, now - sendNanos));
        }
    }

    // ---- the run ------------------------------------------------------------------------------------------

    private LoadReport run() {
        InetAddress address = Loopback.require(spec.host());
        plan();
        // Publishers and subscribers get event loops of their own: on shared loops a flood of publishers would
        // starve the one subscriber of a fan-in, whose reads get only its per-channel share of each loop turn.
        EventLoopGroup publisherLoops = eventLoops(spec.threads());
        EventLoopGroup subscriberLoops = eventLoops(spec.threads());
        Bootstrap publisherBootstrap = bootstrap(publisherLoops, address);
        Bootstrap subscriberBootstrap = bootstrap(subscriberLoops, address);
        double connectSeconds = 0;
        double drainSeconds = 0;
        boolean drained = false;
        try {
            if (!primeSessions(subscriberBootstrap, publisherBootstrap)) {
                return report(0, false, 0);
            }
            long connectStart = System.nanoTime();
            long connectDeadline = System.nanoTime() + spec.connectTimeout().toNanos();
            boolean connRun = spec.scenario() == Scenario.CONN;
            if (connRun) {
                cpuWindowStarts();
            }
            boolean connected = connect(subscriberBootstrap, subscribers, connectDeadline)
                    && connect(publisherBootstrap, publishers, connectDeadline)
                    && connect(subscriberBootstrap, idle, connectDeadline);
            connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            if (connRun) {
                cpuWindowEnds();
            }
            if (connected && !connRun) {
                long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                measureFromNanos = start + spec.warmup().toNanos();
                stopNanos = measureFromNanos + spec.duration().toNanos();
                for (BenchClient p : publishers) {
                    p.publish(start, measureFromNanos, stopNanos);
                }
                waitUntil(measureFromNanos);
                cpuWindowStarts();
                waitUntil(stopNanos);
                cpuWindowEnds();
                long drainStart = System.nanoTime();
                drained = drain(drainStart + spec.drainTimeout().toNanos());
                drainSeconds = (System.nanoTime() - drainStart) / 1e9;
            }
        } finally {
            close(publisherLoops, subscriberLoops);
        }
        return report(connectSeconds, drained, drainSeconds);
    }

    /**
     * Persistent sessions: each subscriber and publisher connects once under its client id (subscribers subscribe)
     * and disconnects, so that the broker holds every session, subscribed, before the measured connections resume
     * them. True when there is nothing to prime, or all of it was primed and closed.
     */
    private boolean primeSessions(Bootstrap subscriberBootstrap, Bootstrap publisherBootstrap) {
        if (primingSubscribers.isEmpty() && primingPublishers.isEmpty()) {
            return true;
        }
        long deadline = System.nanoTime() + spec.connectTimeout().toNanos();
        boolean primed = connect(subscriberBootstrap, primingSubscribers, deadline)
                && connect(publisherBootstrap, primingPublishers, deadline);
        List<BenchClient> all = new ArrayList<>(primingSubscribers);
        all.addAll(primingPublishers);
        disconnectAll(all);
        return primed && !hasErrors();
    }

    private void cpuWindowStarts() {
        generatorFrom = generator.sample();
        brokerFrom = broker.flatMap(ProcessCpu::sample);
    }

    private void cpuWindowEnds() {
        generatorTo = generator.sample();
        brokerTo = broker.flatMap(ProcessCpu::sample);
    }

    private LoadReport.Cpu cpu() {
        return LoadReport.Cpu.of(ProcessCpu.cores(generatorFrom, generatorTo).orElse(0.0),
                Runtime.getRuntime().availableProcessors(), generator.allowedCpus().orElse(null),
                broker.map(ProcessCpu::pid).orElse(0L), ProcessCpu.cores(brokerFrom, brokerTo).orElse(null),
                broker.flatMap(ProcessCpu::allowedCpus).orElse(null));
    }

    private static EventLoopGroup eventLoops(int threads) {
        return Epoll.isAvailable() ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    }

    private Bootstrap bootstrap(EventLoopGroup loops, InetAddress address) {
        return new Bootstrap()
                .group(loops)
                .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, spec.connectTimeout().toMillis()))
                .remoteAddress(new InetSocketAddress(address, spec.port()));
    }

    /** Who connects, with which topic, and which publishers each sink must hear from. */
    private void plan() {
        String prefix = "bench/" + runId;
        String id = "bench-" + runId + "-";
        int n = spec.clients();
        int[][] sinks;
        switch (spec.scenario()) {
            case P2P -> {
                for (int i = 0; i < n; i++) {
                    subscribers.add(new BenchClient(this, BenchClient.Role.SUBSCRIBER, id + "sub-" + i, i, prefix + "/p2p/" + i));
                    publishers.add(new BenchClient(this, BenchClient.Role.PUBLISHER, id + "pub-" + i, i, prefix + "/p2p/" + i));
                }
                sinks = IntStream.range(0, n).mapToObj(i -> new int[] {i}).toArray(int[][]::new);
            }
            case FAN_OUT -> {
                for (int i = 0; i < n; i++) {
                    subscribers.add(new BenchClient(this, BenchClient.Role.SUBSCRIBER, id + "sub-" + i, i, prefix + "/fan-out"));
                }
                publishers.add(new BenchClient(this, BenchClient.Role.PUBLISHER, id + "pub-0", 0, prefix + "/fan-out"));
                sinks = IntStream.range(0, n).mapToObj(i -> new int[] {0}).toArray(int[][]::new);
            }
            case FAN_IN -> {
                subscribers.add(new BenchClient(this, BenchClient.Role.SUBSCRIBER, id + "sub-0", 0, prefix + "/fan-in/+"));
                for (int i = 0; i < n; i++) {
                    publishers.add(new BenchClient(this, BenchClient.Role.PUBLISHER, id + "pub-" + i, i, prefix + "/fan-in/" + i));
                }
                sinks = new int[][] {IntStream.range(0, n).toArray()};
            }
            case SHARED -> {
                String filter = "$share/" + "g" + runId + "/" + prefix + "/shared/+";
                for (int m = 0; m < spec.groupMembers(); m++) {
                    subscribers.add(new BenchClient(this, BenchClient.Role.SUBSCRIBER, id + "member-" + m, 0, filter));
                }
                for (int i = 0; i < n; i++) {
                    publishers.add(new BenchClient(this, BenchClient.Role.PUBLISHER, id + "pub-" + i, i, prefix + "/shared/" + i));
                }
                sinks = new int[][] {IntStream.range(0, n).toArray()};
            }
            case CONN -> {
                for (int i = 0; i < n; i++) {
                    idle.add(new BenchClient(this, BenchClient.Role.IDLE, id + "conn-" + i, i, null));
                }
                sinks = new int[0][];
            }
            default -> throw new IllegalStateException();
        }
        ledger = new DeliveryLedger(sinks);
        if (spec.sessions().persistent()) {
            for (BenchClient c : subscribers) {
                primingSubscribers.add(c.priming(this));
            }
            for (BenchClient c : publishers) {
                primingPublishers.add(c.priming(this));
            }
        }
        // connection k (in the order they connect) uses identity k mod --identities; a priming connection uses
        // that of the measured connection it primes
        int k = 0;
        for (List<BenchClient> group : List.of(subscribers, publishers, idle)) {
            for (BenchClient c : group) {
                c.identity = k++;
            }
        }
        for (int i = 0; i < primingSubscribers.size(); i++) {
            primingSubscribers.get(i).identity = subscribers.get(i).identity;
        }
        for (int i = 0; i < primingPublishers.size(); i++) {
            primingPublishers.get(i).identity = publishers.get(i).identity;
        }
    }

    /**
     * Opens the connections at the configured rate, at most {@code connectConcurrency} of them still waiting for
     * CONNACK (and SUBACK) at a time; false when any failed or the deadline passed.
     */
    private boolean connect(Bootstrap bootstrap, List<BenchClient> clients, long deadline) {
        if (clients.isEmpty()) {
            return true;
        }
        java.util.concurrent.Semaphore pending = new java.util.concurrent.Semaphore(spec.connectConcurrency());
        long t0 = System.nanoTime();
        List<CompletableFuture<BenchClient>> all = new ArrayList<>(clients.size());
        for (int i = 0; i < clients.size(); i++) {
            if (hasErrors()) {
                return false;
            }
            if (spec.connectRate() > 0) {
                waitUntil(t0 + (long) (i * 1e9 / spec.connectRate()));
            }
            try {
                if (!pending.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    setupError("connecting " + clients.size() + " clients took longer than " + spec.connectTimeout());
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            BenchClient c = clients.get(i);
            c.ready.whenComplete((x, e) -> pending.release());
            all.add(c.ready);
            c.connecting();
            ChannelFuture f = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    int maxPacket = Math.max(1 << 20, spec.payloadSize() + 4096);
                    if (spec.security().tls()) {
                        ch.pipeline().addLast("tls", spec.security().handler(ch.alloc(), c.identity, spec.host(), spec.port()));
                    }
                    ch.pipeline()
                            .addLast("frames", new MqttFrames(c, maxPacket))
                            .addLast("decoder", new MqttDecoder(maxPacket))
                            .addLast("encoder", MqttEncoder.INSTANCE)
                            .addLast("client", c);
                }
            }).connect();
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    setupError(c.clientId() + ": cannot connect to " + spec.host() + ":" + spec.port() + ": " + done.cause());
                    c.ready.completeExceptionally(done.cause());
                }
            });
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]))
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            long done = all.stream().filter(CompletableFuture::isDone).count();
            setupError("only " + done + " of " + clients.size() + " clients were set up within " + spec.connectTimeout());
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Sleeps until the given time, waking early when the run has failed. */
    private void waitUntil(long nanos) {
        while (System.nanoTime() - nanos < 0 && !hasErrors()) {
            long left = nanos - System.nanoTime();
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits for every expected message and acknowledgement; false when the deadline or a quiet spell ended it. */
    private boolean drain(long deadline) {
        long lastReceived = -1;
        long lastProgress = System.nanoTime();
        while (!hasErrors()) {
            long[] sent = sentByPublisher();
            boolean acked = publishers.stream().allMatch(p -> p.inflightNow == 0);
            if (acked && ledger.distinct() >= ledger.expected(sent)) {
                return true;
            }
            long now = System.nanoTime();
            long received = subscribers.stream().mapToLong(c -> c.received).sum()
                    + publishers.stream().mapToLong(c -> c.acknowledged).sum();
            if (received != lastReceived) {
                lastReceived = received;
                lastProgress = now;
            } else if (now - lastProgress > spec.drainQuiet().toNanos()) {
                return false;
            }
            if (now - deadline >= 0) {
                return false;
            }
            waitUntil(Math.min(deadline, now + TimeUnit.MILLISECONDS.toNanos(20)));
        }
        return false;
    }

    private boolean hasErrors() {
        return protocolErrors.get() > 0 || setupErrors.get() > 0;
    }

    private void close(EventLoopGroup... groups) {
        List<BenchClient> everyone = new ArrayList<>(subscribers);
        everyone.addAll(publishers);
        everyone.addAll(idle);
        disconnectAll(everyone);
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        for (EventLoopGroup g : groups) {
            g.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** DISCONNECT from each client, then closed: waits up to 3 s for the broker to close them. */
    private static void disconnectAll(List<BenchClient> everyone) {
        // each client marks itself as closing before its DISCONNECT, so the order does not matter
        for (BenchClient c : everyone) {
            c.disconnect();
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (BenchClient c : everyone) {
            Channel ch = c.channel();
            if (ch != null) {
                ch.closeFuture().awaitUninterruptibly(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
            }
        }
        for (BenchClient c : everyone) {
            c.abandon();
        }
    }

    private long[] sentByPublisher() {
        long[] sent = new long[Math.max(1, spec.clients())];
        for (BenchClient p : publishers) {
            sent[p.index()] = p.sent;
        }
        return sent;
    }

    private LoadReport report(double connectSeconds, boolean drained, double drainSeconds) {
        long[] sent = sentByPublisher();
        double window = spec.duration().toNanos() / 1e9;
        long sentTotal = publishers.stream().mapToLong(p -> p.sent).sum();
        long sentMeasured = publishers.stream().mapToLong(p -> p.sentMeasured).sum();
        long received = subscribers.stream().mapToLong(c -> c.received).sum();
        long receivedMeasured = subscribers.stream().mapToLong(c -> c.receivedMeasured).sum();
        long connections = subscribers.size() + publishers.size() + idle.size();
        Histogram connectHistogram = connectTimes.getIntervalHistogram();
        boolean messages = spec.scenario() != Scenario.CONN;
        return new LoadReport(
                spec.label(), spec.host(), spec.port(), spec.scenario().label(), spec.mqtt5() ? "5.0" : "3.1.1",
                spec.security().describe(), spec.sessions().describe(spec.mqtt5()), tlsSession.get(),
                spec.qos(), spec.clients(), spec.scenario() == Scenario.SHARED ? spec.groupMembers() : subscribers.size(),
                publishers.size(), spec.payloadSize(), spec.ratePerPublisher(), spec.inflight(),
                spec.warmup().toMillis() / 1000.0, window,
                connections, connectHistogram.getTotalCount(), connectSeconds,
                connectSeconds > 0 ? connectHistogram.getTotalCount() / connectSeconds : 0,
                LoadReport.Percentiles.of(connectHistogram),
                sentTotal, publishers.stream().mapToLong(p -> p.acknowledged).sum(), received, messages ? ledger.expected(sent) : 0,
                messages ? sentMeasured / window : 0, messages ? receivedMeasured / window : 0,
                LoadReport.Percentiles.of(merged(l -> l.delivery)),
                LoadReport.Percentiles.of(merged(l -> l.ack)),
                messages ? ledger.missing(sent) : 0, messages ? ledger.duplicates() : 0,
                messages ? ledger.outOfOrder() : 0,
                drained, drainSeconds, cpu(),
                protocolErrors.get(), setupErrors.get(), List.copyOf(errors));
    }
}
