package io.anchormq.bench.loadgen;

import java.time.Duration;

/**
 * Everything that defines one load run.
 *
 * @param clients p2p: pairs; fan-out: subscribers; fan-in and shared: publishers; conn: connections
 * @param groupMembers shared: members of the subscription group
 * @param ratePerPublisher messages per second per publisher; 0 = as fast as the window and socket allow
 * @param drainQuiet the drain also ends when nothing at all has arrived for this long; longer than a broker's
 *     redelivery interval (Moquette: 5 s) so that late retransmissions are still counted
 * @param inflight most unacknowledged QoS 1/2 PUBLISHes per publisher (lowered to the broker's Receive Maximum)
 * @param connectRate connections opened per second; 0 = as fast as {@code connectConcurrency} allows
 * @param mqtt5 MQTT 5.0 instead of 3.1.1
 * @param security TLS and credentials of the connections ({@link ClientSecurity#NONE}: plain TCP, anonymous)
 * @param sessions clean sessions (the default), or persistent ones that the broker must keep across connections
 */
public record LoadSpec(
        String label,
        String host,
        int port,
        Scenario scenario,
        int clients,
        int groupMembers,
        int qos,
        int payloadSize,
        double ratePerPublisher,
        int inflight,
        Duration warmup,
        Duration duration,
        Duration drainTimeout,
        Duration drainQuiet,
        Duration connectTimeout,
        double connectRate,
        int connectConcurrency,
        boolean mqtt5,
        int keepAliveSeconds,
        int threads,
        ClientSecurity security,
        Sessions sessions) {

    /**
     * What sessions the clients ask for. Persistent: every client connects with Clean Session 0 (MQTT 3.1.1) or
     * Clean Start 0 and a Session Expiry Interval of {@code expirySeconds} (MQTT 5), under a client id that is the
     * same for both of its connections in the run: a first, priming connection makes the session (a subscriber's
     * subscription in it) and disconnects; the measured connection must find it (CONNACK session present).
     */
    public record Sessions(boolean persistent, long expirySeconds) {

        public static final Sessions CLEAN = new Sessions(false, 0);

        public Sessions {
            if (expirySeconds < 0 || expirySeconds > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("session expiry is within 0..4294967295 s");
            }
            if (persistent && expirySeconds == 0) {
                throw new IllegalArgumentException("a persistent session needs a session expiry above 0");
            }
        }

        public static Sessions persistent(long expirySeconds) {
            return new Sessions(true, expirySeconds);
        }

        /** "clean", or "persistent (session expiry 3600 s)" (MQTT 5) / "persistent (clean session 0)" (3.1.1). */
        String describe(boolean mqtt5) {
            if (!persistent) {
                return "clean";
            }
            return mqtt5 ? "persistent (clean start 0, session expiry " + expirySeconds + " s)"
                    : "persistent (clean session 0)";
        }
    }

    /** Clean sessions. */
    public LoadSpec(String label, String host, int port, Scenario scenario, int clients, int groupMembers, int qos,
                    int payloadSize, double ratePerPublisher, int inflight, Duration warmup, Duration duration,
                    Duration drainTimeout, Duration drainQuiet, Duration connectTimeout, double connectRate,
                    int connectConcurrency, boolean mqtt5, int keepAliveSeconds, int threads,
                    ClientSecurity security) {
        this(label, host, port, scenario, clients, groupMembers, qos, payloadSize, ratePerPublisher, inflight, warmup,
                duration, drainTimeout, drainQuiet, connectTimeout, connectRate, connectConcurrency, mqtt5,
                keepAliveSeconds, threads, security, Sessions.CLEAN);
    }

    /** Plain TCP, anonymous, clean sessions. */
    public LoadSpec(String label, String host, int port, Scenario scenario, int clients, int groupMembers, int qos,
                    int payloadSize, double ratePerPublisher, int inflight, Duration warmup, Duration duration,
                    Duration drainTimeout, Duration drainQuiet, Duration connectTimeout, double connectRate,
                    int connectConcurrency, boolean mqtt5, int keepAliveSeconds, int threads) {
        this(label, host, port, scenario, clients, groupMembers, qos, payloadSize, ratePerPublisher, inflight, warmup,
                duration, drainTimeout, drainQuiet, connectTimeout, connectRate, connectConcurrency, mqtt5,
                keepAliveSeconds, threads, ClientSecurity.NONE);
    }

    public LoadSpec {
        if (security == null) {
            throw new IllegalArgumentException("security is ClientSecurity.NONE for plain TCP, not null");
        }
        if (sessions == null) {
            throw new IllegalArgumentException("sessions is Sessions.CLEAN for clean sessions, not null");
        }
        if (clients < 1 || groupMembers < 1) {
            throw new IllegalArgumentException("clients and group members must be at least 1");
        }
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("QoS is 0, 1 or 2");
        }
        if (payloadSize < Stamp.SIZE) {
            throw new IllegalArgumentException("payload size must be at least " + Stamp.SIZE
                    + " bytes (send time, publisher, sequence number)");
        }
        if (inflight < 1 || inflight > 65_535) {
            throw new IllegalArgumentException("inflight must be within 1..65535");
        }
        if (ratePerPublisher < 0 || connectRate < 0 || connectConcurrency < 1 || threads < 1) {
            throw new IllegalArgumentException("rates must not be negative; concurrency and threads at least 1");
        }
    }

    /** The run's hard upper bound on wall time: no phase can take longer than its own limit. */
    public Duration bound() {
        // persistent sessions connect twice: the priming round, then the measured one
        return connectTimeout.multipliedBy(sessions.persistent() ? 3 : 2).plus(warmup).plus(duration).plus(drainTimeout).plusSeconds(15);
    }

    int publishers() {
        return switch (scenario) {
            case P2P, FAN_IN, SHARED -> clients;
            case FAN_OUT -> 1;
            case CONN -> 0;
        };
    }

    int subscribers() {
        return switch (scenario) {
            case P2P, FAN_OUT -> clients;
            case FAN_IN -> 1;
            case SHARED -> groupMembers;
            case CONN -> 0;
        };
    }
}
