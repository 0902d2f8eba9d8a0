package io.anchormq.broker.session;

import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscription;
import io.netty.handler.codec.mqtt.MqttProperties;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a session keeps across network connections: its subscriptions, the QoS 1/2 flows in both directions, the
 * messages waiting for delivery, its expiry and a will waiting for its delay. Owned and changed only by its session
 * actor; a {@link SessionStore} keeps it.
 */
public final class SessionState {

    /** An outbound QoS 1/2 message sent and not yet acknowledged. */
    static final class Outgoing {
        final Delivery delivery;
        boolean released; // QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP

        Outgoing(Delivery delivery) {
            this.delivery = delivery;
        }

        Outgoing(Delivery delivery, boolean released) {
            this.delivery = delivery;
            this.released = released;
        }
    }

    /** The will as sent in CONNECT; it becomes a message only when published, so its expiry starts then. */
    record Will(String topic, int qos, boolean retain, byte[] payload, MqttProperties properties,
                long delaySeconds) {
    }

    final String clientId;
    /** Who the client proved to be at its latest CONNECT (anonymous until a connection attaches). */
    ClientIdentity identity;
    /** By the filter as the client wrote it (with any share prefix). */
    final Map<String, Subscription> subscriptions = new HashMap<>();
    /** Outbound QoS 1/2 messages by packet id, in the order they were sent. */
    final LinkedHashMap<Integer, Outgoing> inflight = new LinkedHashMap<>();
    /**
     * Messages waiting for the client (offline, its receive maximum reached, or its socket full); stored ones
     * beyond {@link #IN_MEMORY} wait on disk only, counted in {@link #spilled}, after these.
     */
    final ArrayDeque<Delivery> queue = new ArrayDeque<>(2); // grows as needed; most stored sessions queue nothing
    /** Stored deliveries a session holds in memory at most; the rest of its queue is read back as it drains. */
    static final int IN_MEMORY = 1000;
    /**
     * The sequences of the stored deliveries queued after {@link #queue}, on disk only, in the order they came:
     * 8 bytes each in memory instead of the message.
     */
    final LongQueue spilled = new LongQueue();
    /** Inbound QoS 2 packet ids acknowledged with PUBREC and waiting for PUBREL. */
    final Set<Integer> awaitingPubrel = new HashSet<>();
    int lastPacketId;
    /** Session expiry interval in seconds. */
    long sessionExpiry;
    /** Whether a connection has used this session before (for the session present flag). */
    boolean existed;
    Will pendingWill;
    /** Inbound publishes handed to the integrity log; created on first use. */
    LoggedPublishes logged;
    long willDueMillis;
    long expiryDueMillis;
    /** Where this state is kept as it changes; set by the store that opened it. */
    SessionJournal journal = SessionJournal.NONE;
    /** Something the session's record holds changed (subscriptions, expiry, wills, identity) since it was saved. */
    boolean dirty;
    /** A connection is attached; read back after a crash, the connection is known to have ended. */
    boolean connected;
    /** The will of the attached connection, kept so that it goes out after a broker crash too. */
    Will connectedWill;

    SessionState(String clientId) {
        this.clientId = clientId;
        this.identity = ClientIdentity.anonymous(ClientIdentity.DEFAULT_WORKSPACE, null);
    }

    public String clientId() {
        return clientId;
    }

    /** Empties the session as clean start or expiry require; the client id stays. */
    void clear() {
        journal.discard(this);
        dirty = true;
        subscriptions.clear();
        inflight.clear();
        queue.clear();
        spilled.clear();
        awaitingPubrel.clear();
        pendingWill = null;
        logged = null;
    }
}
