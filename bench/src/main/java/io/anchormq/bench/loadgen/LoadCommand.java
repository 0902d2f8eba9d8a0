package io.anchormq.bench.loadgen;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The load generator's command line. */
@Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Generate MQTT load against a broker on this machine and report throughput, latency, integrity and "
                    + "connect times. Every payload carries its send time, publisher and 64-bit sequence number.",
            "Exit status: 0 run complete (losses are reported, not failed), 1 protocol error by the broker, "
                    + "2 bad options, 3 the run could not be set up (refused, timed out), 4 the run overran its bound."})
public final class LoadCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Broker address; loopback only (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "1883", description = "Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = {"-s", "--scenario"}, defaultValue = "p2p",
            description = "p2p (N publishers -> N subscribers), fan-out (1 -> N), fan-in (N -> 1), "
                    + "shared (N publishers -> one $share group of --members), conn (N connections) (default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = {"-n", "--clients"}, defaultValue = "100",
            description = "p2p: pairs; fan-out: subscribers; fan-in, shared: publishers; conn: connections (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--members", defaultValue = "10", description = "shared: members of the group (default: ${DEFAULT-VALUE}).")
    int members;

    @Option(names = {"-q", "--qos"}, defaultValue = "1", description = "QoS of publishes and subscriptions (default: ${DEFAULT-VALUE}).")
    int qos;

    @Option(names = "--payload", defaultValue = "64", description = "Payload bytes, at least 20 (default: ${DEFAULT-VALUE}).")
    int payload;

    @Option(names = "--rate", defaultValue = "0",
            description = "Messages per second per publisher; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--inflight", defaultValue = "32",
            description = "Unacknowledged QoS 1/2 publishes per publisher (capped by the broker's Receive Maximum in MQTT 5) (default: ${DEFAULT-VALUE}).")
    int inflight;

    @Option(names = {"-d", "--duration"}, defaultValue = "10", description = "Measured seconds of publishing (default: ${DEFAULT-VALUE}).")
    double duration;

    @Option(names = "--warmup", defaultValue = "2", description = "Seconds of publishing before measuring (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--drain-timeout", defaultValue = "10",
            description = "Seconds to wait after publishing for outstanding messages (default: ${DEFAULT-VALUE}).")
    double drainTimeout;

    @Option(names = "--drain-quiet", defaultValue = "6",
            description = "The drain also ends after this many seconds without any message or acknowledgement (default: ${DEFAULT-VALUE}).")
    double drainQuiet;

    @Option(names = "--connect-timeout", defaultValue = "60",
            description = "Seconds allowed for all connections and subscriptions (default: ${DEFAULT-VALUE}).")
    double connectTimeout;

    @Option(names = "--connect-rate", defaultValue = "0",
            description = "Connections opened per second; 0 = as fast as --connect-concurrency allows (default: ${DEFAULT-VALUE}).")
    double connectRate;

    @Option(names = "--connect-concurrency", defaultValue = "100",
            description = "Connections awaiting CONNACK/SUBACK at once (default: ${DEFAULT-VALUE}).")
    int connectConcurrency;

    @Option(names = "--mqtt", defaultValue = "3.1.1", description = "Protocol version: 3.1.1 or 5 (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = "--persistent",
            description = "Persistent sessions: every client connects with Clean Session 0 (MQTT 3.1.1) or Clean Start 0 "
                    + "and a Session Expiry Interval of --session-expiry (MQTT 5). Each connects twice under the same "
                    + "client id: a priming connection makes the session (subscribers subscribe) and disconnects, then "
                    + "the measured one must find it (CONNACK session present) before publishing starts "
                    + "(default: clean sessions).")
    boolean persistent;

    @Option(names = "--session-expiry", defaultValue = "3600",
            description = "With --persistent and --mqtt 5: the Session Expiry Interval in seconds (default: ${DEFAULT-VALUE}).")
    long sessionExpiry;

    @Option(names = "--keep-alive", defaultValue = "60", description = "Keep alive seconds; PINGREQ every half (default: ${DEFAULT-VALUE}).")
    int keepAlive;

    @Option(names = "--threads", description = "Event loop threads for the publishers, and as many again for the subscribers (default: number of cores).")
    Integer threads;

    @Option(names = "--tls", description = "Connect over TLS (give --port the broker's TLS port).")
    boolean tls;

    @Option(names = "--cafile", description = "PEM CA certificate the broker's certificate must chain to (default: the JDK's trust store).")
    java.io.File caFile;

    @Option(names = "--cert",
            description = "Client certificate chain (PEM) for mutual TLS; may contain %%d: connection k uses identity k mod --identities.")
    String cert;

    @Option(names = "--key", description = "The client certificate's private key (PEM, PKCS#8 unencrypted); may contain %%d like --cert.")
    String key;

    @Option(names = "--tls-provider", defaultValue = "auto",
            description = "auto (OpenSSL when netty-tcnative is on the class path, else the JDK), jdk or openssl (default: ${DEFAULT-VALUE}).")
    String tlsProvider;

    @Option(names = "--tls-ciphers", split = ",",
            description = "Cipher suites to offer, comma-separated (e.g. TLS_AES_128_GCM_SHA256) (default: the provider's). "
                    + "BoringSSL (the openssl provider) ignores it for TLS 1.3, whose suites it does not let a client choose.")
    java.util.List<String> tlsCiphers;

    @Option(names = "--tls-resume",
            description = "Resume TLS sessions across connections (default: every connection makes a full handshake).")
    boolean tlsResume;

    @Option(names = {"--username", "--username-pattern"},
            description = "User name in every CONNECT; may contain %%d (e.g. u%%d): connection k uses identity k mod --identities; without, all share it.")
    String username;

    @Option(names = {"--password", "--password-pattern"},
            description = "Password in every CONNECT; may contain %%d like --username.")
    String password;

    @Option(names = "--identities", defaultValue = "1",
            description = "How many provisioned identities the %%d patterns cycle through (0..N-1) (default: ${DEFAULT-VALUE}).")
    int identities;

    @Option(names = "--broker-pid",
            description = "The broker's process id: its CPU time over the measured window is reported as the cores it used.")
    Long brokerPid;

    @Option(names = "--label", defaultValue = "broker", description = "Name of the broker in the report (default: ${DEFAULT-VALUE}).")
    String label;

    @Option(names = "--json", description = "Also write the report as JSON to this file.")
    Path json;

    @Option(names = "--timeline", description = "Write the worst delivery latency of each 100 ms of the measured window to this file.")
    Path timeline;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() throws Exception {
        LoadSpec spec;
        Optional<ProcessHandle> broker;
        try {
            spec = spec();
            broker = broker();
        } catch (IllegalArgumentException e) {
            // picocli's exit status 2, as for any other bad option
            throw new CommandLine.ParameterException(command.commandLine(), e.getMessage(), e);
        }
        startWatchdog(spec.bound());
        LoadReport report = timeline == null ? LoadRun.execute(spec, broker) : LoadRun.execute(spec, broker, timeline);
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
        }
        return report.exitCode();
    }

    private LoadSpec spec() {
        Loopback.require(host);
        if (duration <= 0 || duration > 600 || warmup < 0 || drainTimeout < 0 || drainQuiet < 0 || connectTimeout <= 0) {
            throw new IllegalArgumentException("duration must be within (0, 600] s; warm-up and timeouts not negative");
        }
        return new LoadSpec(label, host, port, Scenario.of(scenario), clients, members, qos, payload, rate,
                inflight, seconds(warmup), seconds(duration), seconds(drainTimeout), seconds(drainQuiet),
                seconds(connectTimeout),
                connectRate, connectConcurrency, mqtt5(protocol), keepAlive,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(),
                tls || username != null || password != null
                        ? ClientSecurity.of(tls, caFile, cert, key, tlsProvider, tlsResume, tlsCiphers, username, password, identities)
                        : ClientSecurity.NONE,
                persistent ? LoadSpec.Sessions.persistent(sessionExpiry) : LoadSpec.Sessions.CLEAN);
    }

    private Optional<ProcessHandle> broker() {
        if (brokerPid == null) {
            return Optional.empty();
        }
        Optional<ProcessHandle> broker = ProcessHandle.of(brokerPid);
        if (broker.isEmpty()) {
            throw new IllegalArgumentException("no process " + brokerPid + " (--broker-pid)");
        }
        return broker;
    }

    private static boolean mqtt5(String protocol) {
        return switch (protocol) {
            case "5", "5.0" -> true;
            case "3.1.1", "4" -> false;
            default -> throw new IllegalArgumentException("MQTT version is 3.1.1 or 5");
        };
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }

    /** Every phase has its own limit; this is the backstop should one of them not hold. */
    private static void startWatchdog(Duration bound) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(bound.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("load run exceeded its bound of " + bound.toSeconds() + " s: stopping");
            Runtime.getRuntime().halt(4);
        }, "load-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
