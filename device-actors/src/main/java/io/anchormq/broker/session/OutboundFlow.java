package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscription;
import io.anchormq.broker.routing.TopicRouter;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Messages on their way to the session's client: offered, queued within the session's bound, sent within the
 * client's Receive Maximum, sent again after a reconnect, and completed by PUBACK, or PUBREC / PUBREL / PUBCOMP.
 * Owned by the session actor, over the session's current state.
 */
final class OutboundFlow {

    /**
     * While its client is online a congested session may queue this many times max-queued-messages: what its
     * publishers had read before they paused. Beyond that (and for offline sessions beyond max-queued-messages)
     * messages are dropped and counted.
     */
    private static final int ONLINE_QUEUE_FACTOR = 10;

    private final SessionState state;
    private final Handle handle;
    private final TopicRouter router;
    private final BrokerMetrics metrics;
    private final int maxQueued;
    private final int maxStored;

    OutboundFlow(SessionState state, Handle handle, SessionRuntime rt) {
        this.state = state;
        this.handle = handle;
        this.router = rt.router();
        this.metrics = rt.metrics();
        this.maxQueued = rt.queueBound();
        this.maxStored = rt.storedQueueBound();
    }

    /** A message the router delivered, for a client that is online. */
    void onDeliver(Delivery d, ConnectedClient client) {
        handle.taken();
        offer(d, client);
        handle.queued(queued());
    }

    /** A message the router delivered while the client is offline. */
    void onDeliverOffline(Delivery d) {
        handle.taken();
        offerOffline(d);
        handle.queued(queued());
    }

    /** Sends a message now if flow control allows, else queues it within the session's bound. */
    void offer(Delivery d, ConnectedClient client) {
        if (d.message().isExpired(System.nanoTime())) {
            metrics.droppedExpired.increment();
            state.journal.completed(d);
            return;
        }
        if (state.queue.isEmpty() && state.spilled.isEmpty() && client.connection.isWritable()
                && (d.qos() == 0 || state.inflight.size() < client.sendWindow)) {
            send(d, client);
            return;
        }
        enqueue(d, d.stored() != null ? maxStored : maxQueued * ONLINE_QUEUE_FACTOR);
    }

    /** Queues a message for when the client is back; QoS 0 is not kept for offline clients. */
    void offerOffline(Delivery d) {
        if (d.qos() == 0) {
            metrics.droppedQos0Offline.increment();
            return;
        }
        if (d.message().isExpired(System.nanoTime())) {
            metrics.droppedExpired.increment();
            state.journal.completed(d);
            return;
        }
        enqueue(d, d.stored() != null ? maxStored : maxQueued);
    }

    private void enqueue(Delivery d, int limit) {
        // online but behind, the session is congested from max-queued-messages on (publishers pause when they see
        // it), and drops only at the hard limit
        if (queued() >= limit) {
            // make room by dropping the oldest QoS 0 message; otherwise the newcomer is the one dropped
            metrics.droppedQueueFull.increment();
            if (d.qos() == 0 || !removeOldestQos0()) {
                state.journal.completed(d);
                return;
            }
        }
        if (d.stored() != null && (!state.spilled.isEmpty() || state.queue.size() >= SessionState.IN_MEMORY)) {
            // it is on disk already: read back when the queue has drained to it
            state.spilled.add(sequenceOf(d.stored()));
            return;
        }
        state.queue.add(d);
    }

    /** Messages waiting: in memory, and on disk after them. */
    private int queued() {
        return state.queue.size() + state.spilled.size();
    }

    static long sequenceOf(Delivery.Stored stored) {
        byte[] key = stored.key();
        return java.nio.ByteBuffer.wrap(key, key.length - 8, 8).getLong();
    }

    private boolean removeOldestQos0() {
        for (Iterator<Delivery> it = state.queue.iterator(); it.hasNext(); ) {
            if (it.next().qos() == 0) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    /** Sends queued messages as far as the client's window and socket allow. */
    void drain(ConnectedClient client) {
        while (client.connection.isWritable()) {
            if (state.queue.isEmpty()
                    && (state.spilled.isEmpty() || state.journal.refill(state, SessionState.IN_MEMORY) == 0)) {
                break;
            }
            Delivery d = state.queue.peek();
            if (d.qos() > 0 && state.inflight.size() >= client.sendWindow) {
                break;
            }
            state.queue.poll();
            if (d.message().isExpired(System.nanoTime())) {
                metrics.droppedExpired.increment();
                state.journal.completed(d);
                continue;
            }
            send(d, client);
        }
        handle.queued(queued());
    }

    private void send(Delivery d, ConnectedClient client) {
        int packetId = d.qos() > 0 ? nextPacketId() : 0;
        MqttMessage publish = publishOf(d, packetId, false, client);
        if (publish == null) {
            // MQTT-3.1.2-25: too large for this client; dropped as if delivered
            metrics.droppedTooLarge.increment();
            state.journal.completed(d);
            return;
        }
        if (d.qos() > 0) {
            state.inflight.put(packetId, new SessionState.Outgoing(d));
            // before it leaves: after a crash it is sent again under this id, never as a second QoS 2 message
            state.journal.sent(d, packetId, false);
        }
        client.connection.send(publish);
        metrics.messagesSent.increment();
    }

    private static MqttMessage publishOf(Delivery d, int packetId, boolean dup, ConnectedClient client) {
        return OutboundPublish.build(d, packetId, dup, client.v5, client.topicAliasMaximum, client.outAliases,
                client.maxPacketSize);
    }

    /** After a reconnect: unacknowledged PUBLISHes again with DUP, PUBRELs for released QoS 2 (MQTT-4.4.0-1). */
    void resendInflight(ConnectedClient client) {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Integer, SessionState.Outgoing>> it = state.inflight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, SessionState.Outgoing> e = it.next();
            SessionState.Outgoing o = e.getValue();
            if (o.released) {
                client.sendReply(MqttMessageType.PUBREL, e.getKey(), 0);
                continue;
            }
            MqttMessage publish = o.delivery.message().isExpired(now) ? null
                    : publishOf(o.delivery, e.getKey(), true, client);
            if (publish == null) {
                it.remove();
                metrics.droppedExpired.increment();
                state.journal.completed(o.delivery);
                continue;
            }
            client.connection.send(publish);
        }
    }

    private int nextPacketId() {
        do {
            state.lastPacketId = state.lastPacketId == 65535 ? 1 : state.lastPacketId + 1;
        } while (state.inflight.containsKey(state.lastPacketId));
        return state.lastPacketId;
    }

    void onPubAck(int packetId, ConnectedClient client) {
        SessionState.Outgoing o = state.inflight.get(packetId);
        if (o != null && o.delivery.qos() == 1) {
            state.inflight.remove(packetId);
            state.journal.completed(o.delivery);
            drain(client);
        }
    }

    void onPubRec(int packetId, int reason, ConnectedClient client) {
        SessionState.Outgoing o = state.inflight.get(packetId);
        if (o == null || o.delivery.qos() != 2) {
            client.sendReply(MqttMessageType.PUBREL, packetId,
                    MqttReasonCodes.PubRel.PACKET_IDENTIFIER_NOT_FOUND.byteValue());
            return;
        }
        if (client.v5 && reason >= 0x80) {
            state.inflight.remove(packetId);
            state.journal.completed(o.delivery);
            drain(client);
            return;
        }
        if (!o.released) {
            state.journal.sent(o.delivery, packetId, true);
        }
        o.released = true;
        client.sendReply(MqttMessageType.PUBREL, packetId, 0);
    }

    void onPubComp(int packetId, ConnectedClient client) {
        SessionState.Outgoing o = state.inflight.get(packetId);
        if (o != null && o.released) {
            state.inflight.remove(packetId);
            state.journal.completed(o.delivery);
            drain(client);
        }
    }

    /**
     * Hands messages of shared subscriptions that this session has not completed to other members of the group.
     *
     * @param onlyToOthersOnline on disconnect, keep a message when no other member is there to take it
     */
    void redispatchShared(boolean onlyToOthersOnline) {
        Predicate<Delivery> taken = d -> d.isShared() && router.redispatchShared(d, state.clientId, onlyToOthersOnline);
        handOverQueued(taken);
        for (Iterator<SessionState.Outgoing> it = state.inflight.values().iterator(); it.hasNext(); ) {
            SessionState.Outgoing o = it.next();
            // a QoS 2 message whose PUBREC came back has reached the client: it must not be sent twice
            if (!o.released && taken.test(o.delivery)) {
                it.remove();
                state.journal.handedOver(o.delivery);
            }
        }
        // those on disk too: at the session's end always (they would go with it), on a disconnect only while it
        // has a shared subscription, so that a device with a long backlog of its own does not read it all back
        if (!onlyToOthersOnline || hasSharedSubscription()) {
            handOverSpilled(taken);
        }
    }

    /** The session left a shared group: its queued messages of the group go to the members that stay. */
    void redispatchQueuedOf(String shareGroup, String filter) {
        Predicate<Delivery> taken = d -> shareGroup.equals(d.shareGroup()) && filter.equals(d.shareFilter())
                && router.redispatchShared(d, state.clientId, false);
        handOverQueued(taken);
        handOverSpilled(taken);
    }

    /** Hands the queued deliveries that {@code handOver} took to another member over. */
    private void handOverQueued(Predicate<Delivery> handOver) {
        state.queue.removeIf(d -> {
            if (handOver.test(d)) {
                state.journal.handedOver(d);
                return true;
            }
            return false;
        });
    }

    private boolean hasSharedSubscription() {
        for (Subscription s : state.subscriptions.values()) {
            if (s.shareGroup() != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Hands the spilled deliveries that {@code handOver} took to another member over, read back from disk
     * {@link SessionState#IN_MEMORY} at a time (the heap never holds more of them); the rest stay spilled, in order.
     */
    private void handOverSpilled(Predicate<Delivery> handOver) {
        if (state.spilled.isEmpty()) {
            return;
        }
        LongQueue kept = new LongQueue();
        List<Delivery> chunk = new ArrayList<>();
        while (!state.spilled.isEmpty()) {
            chunk.clear();
            state.journal.readSpilled(state, SessionState.IN_MEMORY, chunk::add);
            for (Delivery d : chunk) {
                if (handOver.test(d)) {
                    state.journal.handedOver(d);
                } else {
                    kept.add(sequenceOf(d.stored()));
                }
            }
        }
        while (!kept.isEmpty()) {
            state.spilled.add(kept.poll());
        }
    }

    /** The client went away: an offline session holds no publisher back, its queue's bound and drop policy apply. */
    void clientGone() {
        handle.queued(queued());
    }
}
