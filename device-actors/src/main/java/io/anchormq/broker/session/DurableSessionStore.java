package io.anchormq.broker.session;

import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscription;
import io.anchormq.broker.store.BrokerStore;
import io.anchormq.broker.store.BrokerStore.Family;
import io.anchormq.broker.store.StoreRecords;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One workspace's sessions in the {@link BrokerStore}: a record per session that outlives its connection (or has a
 * will to publish), the deliveries queued and in flight for it, each a reference to a message stored once, and its
 * inbound QoS 2 packet ids. Read back whole when the workspace opens; written as the sessions change.
 */
public final class DurableSessionStore implements SessionStore {

    private static final Logger LOG = LoggerFactory.getLogger(DurableSessionStore.class);
    private static final int RECORD_VERSION = 1;

    private final BrokerStore store;
    private final String workspace;
    /** Sessions read back at start, until their actors open them. */
    private final Map<String, SessionState> restored = new ConcurrentHashMap<>();

    public DurableSessionStore(BrokerStore store, String workspace) {
        this.store = store;
        this.workspace = workspace;
        load();
    }

    @Override
    public SessionState open(String clientId) {
        SessionState s = restored.remove(clientId);
        if (s == null) {
            s = new SessionState(clientId);
        }
        s.journal = new Journal(BrokerStore.key(workspace, clientId));
        return s;
    }

    @Override
    public void changed(SessionState state) {
        if (state.dirty) {
            state.journal.save(state);
        }
    }

    @Override
    public void discard(String clientId) {
        store.delete(Family.SESSIONS, BrokerStore.key(workspace, clientId));
    }

    @Override
    public Collection<String> clientIds() {
        return List.copyOf(restored.keySet());
    }

    @Override
    public void inGroup(Runnable work) {
        store.inGroup(work);
    }

    @Override
    public void afterCommit(Runnable action) {
        store.afterCommit(action);
    }

    /** Whether a session's record is worth keeping: it outlives its connection or has a will still to publish. */
    private static boolean keeps(SessionState s) {
        return !s.identity.isConfined()
                && (s.sessionExpiry > 0 || s.connectedWill != null || s.pendingWill != null);
    }

    private final class Journal implements SessionJournal {
        private final byte[] prefix;

        Journal(byte[] prefix) {
            this.prefix = prefix;
        }

        @Override
        public void store(Delivery d, Consumer<Delivery> deliver) {
            byte[] key = BrokerStore.withLong(prefix, store.nextSequence());
            long messageId = store.referenceMessage(d.message());
            store.put(Family.DELIVERIES, key, StoreRecords.delivery(d, messageId, 0, false));
            Delivery stored = d.storedAt(new Delivery.Stored(key, messageId));
            store.afterCommit(() -> deliver.accept(stored));
        }

        @Override
        public void sent(Delivery d, int packetId, boolean released) {
            Delivery.Stored at = d.stored();
            // QoS 1 keeps no packet id: after a crash it is sent again under a new one, which QoS 1 allows
            if (at != null && d.qos() == 2) {
                // durable before the PUBLISH or PUBREL leaves: after a crash the broker must go on under the same
                // packet id and state, or the client delivers the message twice
                store.putNow(Family.DELIVERIES, at.key(),
                        StoreRecords.delivery(d, at.messageId(), packetId, released));
            }
        }

        @Override
        public void completed(Delivery d) {
            Delivery.Stored at = d.stored();
            if (at != null) {
                // lost in a crash, the delivery comes back: QoS 1 is sent again, QoS 2 (released) gets its PUBREL
                // QoS 1 deliveries are written once, QoS 2 ones again as they are sent
                store.deleteLater(Family.DELIVERIES, at.key(), d.qos() < 2);
                store.releaseMessageLater(at.messageId());
            }
        }

        @Override
        public void handedOver(Delivery d) {
            Delivery.Stored at = d.stored();
            if (at != null) {
                // in the same batch as the other member's copy: never both after a crash (QoS 2 twice)
                store.delete(Family.DELIVERIES, at.key());
                store.releaseMessage(at.messageId());
            }
        }

        @Override
        public int readSpilled(SessionState s, int max, Consumer<Delivery> into) {
            int read = 0;
            Map<Long, Message> messages = new HashMap<>();
            while (read < max && !s.spilled.isEmpty()) {
                byte[] key = BrokerStore.withLong(prefix, s.spilled.poll());
                byte[] value = store.get(Family.DELIVERIES, key);
                if (value == null) {
                    continue;
                }
                StoreRecords.StoredDelivery d = StoreRecords.readDelivery(value);
                Message m = messages.computeIfAbsent(d.messageId(), store::message);
                if (m != null) {
                    into.accept(d.toDelivery(m, key));
                    read++;
                }
            }
            return read;
        }

        @Override
        public void awaitingPubrel(int packetId, boolean awaiting) {
            byte[] key = ByteBuffer.allocate(prefix.length + 2).put(prefix).putShort((short) packetId).array();
            if (awaiting) {
                store.put(Family.INBOUND, key, new byte[0]);
            } else {
                store.delete(Family.INBOUND, key);
            }
        }

        @Override
        public void save(SessionState state) {
            state.dirty = false;
            if (keeps(state)) {
                store.put(Family.SESSIONS, prefix, record(state));
            } else {
                store.delete(Family.SESSIONS, prefix);
            }
        }

        @Override
        public void discard(SessionState state) {
            // every stored delivery of the session is on disk, those in memory and those spilled; those completed
            // are deleted first, or their messages would be released twice
            store.writeLater();
            store.scan(Family.DELIVERIES, prefix, (key, value) ->
                    store.releaseMessage(StoreRecords.readDelivery(value).messageId()));
            state.spilled.clear();
            store.deletePrefix(Family.DELIVERIES, prefix);
            store.deletePrefix(Family.INBOUND, prefix);
            store.delete(Family.SESSIONS, prefix);
        }
    }

    // ---- the session record ----------------------------------------------------------------------------------------

    private static byte[] record(SessionState s) {
        StoreRecords.Writer w = new StoreRecords.Writer().writeByte(RECORD_VERSION).writeBoolean(s.existed)
                .writeLong(s.sessionExpiry).writeLong(s.expiryDueMillis).writeBoolean(s.connected)
                .writeString(s.identity.device()).writeString(s.identity.username())
                .writeString(s.identity.credential());
        w.writeInt(s.subscriptions.size());
        for (Subscription sub : s.subscriptions.values()) {
            w.writeString(sub.shareGroup()).writeString(sub.filter()).writeByte(sub.qos()).writeBoolean(sub.noLocal())
                    .writeBoolean(sub.retainAsPublished()).writeByte(sub.retainHandling()).writeInt(sub.subscriptionId());
        }
        writeWill(w, s.pendingWill);
        w.writeLong(s.willDueMillis);
        writeWill(w, s.connectedWill);
        return w.toByteArray();
    }

    private static void writeWill(StoreRecords.Writer w, SessionState.Will will) {
        w.writeBoolean(will != null);
        if (will != null) {
            w.writeString(will.topic()).writeByte(will.qos()).writeBoolean(will.retain()).writeBytes(will.payload())
                    .writeProperties(will.properties() == null ? null : will.properties().listAll())
                    .writeLong(will.delaySeconds());
        }
    }

    private SessionState readRecord(String clientId, byte[] record) {
        StoreRecords.Reader r = new StoreRecords.Reader(record);
        int version = r.readByte();
        if (version != RECORD_VERSION) {
            throw new IllegalStateException("a session record of version " + version + " is not readable here");
        }
        SessionState s = new SessionState(clientId);
        s.existed = r.readBoolean();
        s.sessionExpiry = r.readLong();
        s.expiryDueMillis = r.readLong();
        s.connected = r.readBoolean();
        s.identity = new ClientIdentity(workspace, r.readString(), r.readString(), r.readString());
        int n = r.readInt();
        for (int i = 0; i < n; i++) {
            Subscription sub = new Subscription(r.readString(), r.readString(), r.readByte(), r.readBoolean(),
                    r.readBoolean(), r.readByte(), r.readInt());
            s.subscriptions.put(sub.key(), sub);
        }
        s.pendingWill = readWill(r);
        s.willDueMillis = r.readLong();
        s.connectedWill = readWill(r);
        return s;
    }

    private static SessionState.Will readWill(StoreRecords.Reader r) {
        if (!r.readBoolean()) {
            return null;
        }
        return new SessionState.Will(r.readString(), r.readByte(), r.readBoolean(), r.readBytes(), r.readProperties(),
                r.readLong());
    }

    // ---- reading back ------------------------------------------------------------------------------------------------

    private void load() {
        byte[] ws = BrokerStore.key(workspace);
        store.scan(Family.SESSIONS, ws, (key, value) -> {
            String clientId = BrokerStore.parts(key, 0).get(1);
            restored.put(clientId, readRecord(clientId, value));
        });
        Map<Long, Message> messages = new HashMap<>();
        int[] orphans = {0};
        store.scan(Family.DELIVERIES, ws, (key, value) -> {
            SessionState s = restored.get(BrokerStore.parts(key, 8).get(1));
            StoreRecords.StoredDelivery d = StoreRecords.readDelivery(value);
            if (s != null && d.packetId() == 0 && (!s.spilled.isEmpty() || s.queue.size() >= SessionState.IN_MEMORY)) {
                s.spilled.add(ByteBuffer.wrap(key, key.length - 8, 8).getLong()); // read back as the queue drains
                return;
            }
            Message m = s == null ? null : messages.computeIfAbsent(d.messageId(), store::message);
            if (m == null) {
                // of a session that ended while a publisher was still routing to it, or its message is gone
                store.delete(Family.DELIVERIES, key);
                store.releaseMessage(d.messageId());
                orphans[0]++;
                return;
            }
            Delivery delivery = d.toDelivery(m, key);
            if (d.packetId() > 0) {
                s.inflight.put(d.packetId(), new SessionState.Outgoing(delivery, d.released()));
                s.lastPacketId = d.packetId();
            } else {
                s.queue.add(delivery);
            }
        });
        store.scan(Family.INBOUND, ws, (key, value) -> {
            SessionState s = restored.get(BrokerStore.parts(key, 2).get(1));
            if (s != null) {
                s.awaitingPubrel.add(ByteBuffer.wrap(key, key.length - 2, 2).getShort() & 0xFFFF);
            } else {
                store.delete(Family.INBOUND, key);
            }
        });
        if (!restored.isEmpty() || orphans[0] > 0) {
            LOG.info("workspace {}: {} sessions restored ({} stored messages); {} deliveries without a session removed",
                    workspace, restored.size(), messages.size(), orphans[0]);
        }
    }
}
