package io.anchormq.broker.session;

import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * A session's inbound publishes that went to the integrity log: which packet ids were logged recently (so that a
 * client's retransmission enters the log once), and the PUBACKs / PUBRECs waiting for their entries to be durable.
 * Owned by the session actor.
 */
final class LoggedPublishes {

    /** One publish handed to the log. */
    static final class Entry {
        final int packetId;
        final String topic;
        final byte[] payloadSha256;
        boolean done;
        boolean failed;
        /** Neighbours in the order of {@link #recent}, oldest first (null at the ends, and when not in it). */
        private Entry older;
        private Entry newer;

        Entry(int packetId, String topic, byte[] payloadSha256) {
            this.packetId = packetId;
            this.topic = topic;
            this.payloadSha256 = payloadSha256;
        }

        boolean isSameMessage(String otherTopic, byte[] otherSha256) {
            return topic.equals(otherTopic) && Arrays.equals(payloadSha256, otherSha256);
        }
    }

    /** An acknowledgement to send once {@code waitFor} is done (null: nothing to wait for). */
    record PendingAck(int packetId, int qos, int reasonCode, Entry waitFor) {
        boolean isReady() {
            return waitFor == null || waitFor.done;
        }
    }

    private final int window;
    /**
     * The newest {@code window} packet ids appended, each with its latest entry, kept in insertion order by the
     * entries' links: a LinkedHashMap's behaviour without a boxed key and a map node per publish.
     */
    private final IntObjectHashMap<Entry> recent = new IntObjectHashMap<>();
    private Entry oldest;
    private Entry newest;
    private final ArrayDeque<PendingAck> acks = new ArrayDeque<>();

    /** @param window how many recent packet ids are remembered (at least the client's in-flight window) */
    LoggedPublishes(int window) {
        this.window = Math.max(1, window);
    }

    /** Records a publish being appended now. */
    Entry appending(int packetId, String topic, byte[] payloadSha256) {
        Entry e = new Entry(packetId, topic, payloadSha256);
        if (packetId > 0) {
            Entry earlier = recent.put(packetId, e);
            if (earlier != null) {
                unlink(earlier); // the newest entry of an id is the one remembered, at the young end
            }
            link(e);
            if (recent.size() > window) {
                Entry eldest = oldest;
                unlink(eldest);
                recent.remove(eldest.packetId);
            }
        }
        return e;
    }

    private void link(Entry e) {
        e.older = newest;
        if (newest == null) {
            oldest = e;
        } else {
            newest.newer = e;
        }
        newest = e;
    }

    private void unlink(Entry e) {
        if (e.older == null) {
            oldest = e.newer;
        } else {
            e.older.newer = e.newer;
        }
        if (e.newer == null) {
            newest = e.older;
        } else {
            e.newer.older = e.older;
        }
        e.older = null;
        e.newer = null;
    }

    /** The earlier append of this very message under this packet id, or null: a retransmission is recognised. */
    Entry earlierAppendOf(int packetId, String topic, byte[] payloadSha256) {
        Entry e = recent.get(packetId);
        return e != null && !e.failed && e.isSameMessage(topic, payloadSha256) ? e : null;
    }

    /** The earlier append under this packet id whatever its content, or null. */
    Entry earlierAppend(int packetId) {
        return recent.get(packetId);
    }

    /** The log told how the append ended (told of every failure, and of successes that were to be confirmed). */
    void completed(Entry e, boolean failed) {
        e.done = true;
        e.failed = failed;
        if (failed && recent.get(e.packetId) == e) {
            recent.remove(e.packetId);
            unlink(e);
        }
    }

    /** Acks must keep the order of their publishes (MQTT-4.6.0-2, -3): once one waits, the later ones queue too. */
    boolean acksWaiting() {
        return !acks.isEmpty();
    }

    void ackLater(PendingAck ack) {
        acks.add(ack);
    }

    /** Removes and returns the next acknowledgement that may be sent now, in order, or null. */
    PendingAck pollReady() {
        PendingAck next = acks.peek();
        return next != null && next.isReady() ? acks.poll() : null;
    }

    /** Acks of a connection that ended are not sent on the next one: the client retransmits instead. */
    void connectionEnded() {
        acks.clear();
    }
}
