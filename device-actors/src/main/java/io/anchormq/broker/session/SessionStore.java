package io.anchormq.broker.session;

import java.util.Collection;

/**
 * Where sessions keep their state. The session actor calls {@link #changed} after every command that altered its
 * state; a durable implementation writes it there, so that sessions can survive a broker restart. Implementations
 * are called from many session actors at once, each for its own client id.
 */
public interface SessionStore {

    /** The stored state of a client id, or a new, empty one. */
    SessionState open(String clientId);

    /** The session altered its state. */
    void changed(SessionState state);

    /** The session ended: its state is gone. */
    void discard(String clientId);

    /** Client ids whose sessions are stored, so that they can be restored at start-up. */
    Collection<String> clientIds();

    /**
     * Runs {@code work} so that what it writes (a publish, its deliveries to stored sessions, its QoS 2 packet id)
     * is committed together; the actions it deferred with {@link #afterCommit} run after that (on an event loop,
     * with the other groups of the loop's turn).
     */
    default void inGroup(Runnable work) {
        work.run();
    }

    /** Runs {@code action} once the writes of the group open on this thread are durable; now if none is open. */
    default void afterCommit(Runnable action) {
        action.run();
    }
}
