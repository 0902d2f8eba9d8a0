package io.anchormq.broker.session;

import io.anchormq.broker.routing.Delivery;
import java.util.function.Consumer;

/**
 * What a session writes to durable state as it goes, so that it survives a broker crash: deliveries as the router
 * hands them over (by the publisher, before it acknowledges), their packet ids as they are sent, their end as they
 * complete, inbound QoS 2 packet ids, and its own record (subscriptions, expiry, will) when that changed. The
 * in-memory broker's journal does nothing.
 */
interface SessionJournal {

    /** Keeps {@code d} for the session, then hands the stored delivery to {@code deliver}. */
    void store(Delivery d, Consumer<Delivery> deliver);

    /** A stored delivery was sent under {@code packetId}; {@code released}: its PUBREC came back. */
    void sent(Delivery d, int packetId, boolean released);

    /** A stored delivery completed, expired or was dropped. */
    void completed(Delivery d);

    /** A stored delivery went to another member of its shared group, which stored its own copy in this group. */
    void handedOver(Delivery d);

    /** An inbound QoS 2 packet id is awaiting PUBREL (or no longer). */
    void awaitingPubrel(int packetId, boolean awaiting);

    /**
     * Takes up to {@code max} of the state's {@link SessionState#spilled} deliveries off it and reads them back from
     * disk, in order, into {@code into}; returns how many (deliveries completed meanwhile are skipped).
     */
    int readSpilled(SessionState state, int max, Consumer<Delivery> into);

    /** Reads up to {@code max} spilled deliveries back into the state's queue, in order; returns how many. */
    default int refill(SessionState state, int max) {
        return readSpilled(state, max, state.queue::add);
    }

    /** Writes the session's record if it changed ({@link SessionState#dirty}). */
    void save(SessionState state);

    /** The session's state is cleared: whatever is stored of it goes. */
    void discard(SessionState state);

    SessionJournal NONE = new SessionJournal() {
        @Override
        public void store(Delivery d, Consumer<Delivery> deliver) {
            deliver.accept(d);
        }

        @Override
        public void sent(Delivery d, int packetId, boolean released) {
        }

        @Override
        public void completed(Delivery d) {
        }

        @Override
        public void handedOver(Delivery d) {
        }

        @Override
        public void awaitingPubrel(int packetId, boolean awaiting) {
        }

        @Override
        public int readSpilled(SessionState state, int max, Consumer<Delivery> into) {
            return 0;
        }

        @Override
        public void save(SessionState state) {
            state.dirty = false;
        }

        @Override
        public void discard(SessionState state) {
        }
    };
}
