package io.anchormq.broker.session;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

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
    private final LinkedHashMap<Integer, Entry> recent;
    private final ArrayDeque<PendingAck> acks = new ArrayDeque<>();

    /** @param window how many recent packet ids are remembered (at least the client's in-flight window) */
    LoggedPublishes(int window) {
        this.window = Math.max(1, window);
        this.recent = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Entry> eldest) {
                return size() > LoggedPublishes.this.window;
            }
        };
    }

    /** Records a publish being appended now. */
    Entry appending(int packetId, String topic, byte[] payloadSha256) {
        Entry e = new Entry(packetId, topic, payloadSha256);
        if (packetId > 0) {
            recent.remove(packetId); // re-insert so the window keeps the newest ids
            recent.put(packetId, e);
        }
        return e;
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
        if (failed) {
            recent.remove(e.packetId, e);
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
