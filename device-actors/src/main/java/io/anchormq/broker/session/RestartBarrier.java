package io.anchormq.broker.session;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts the sessions read back at start until each has put its subscriptions into the router again, then runs
 * what waited for all of them: wills that came due while the broker was down must reach every restored
 * subscriber, whichever session actor happens to run first.
 */
final class RestartBarrier {

    private final AtomicInteger pending;
    private final AtomicReference<Runnable> whenDone = new AtomicReference<>();
    private static final Runnable RAN = () -> { };

    RestartBarrier(int restoredSessions) {
        this.pending = new AtomicInteger(restoredSessions);
    }

    /** A restored session has its subscriptions in the router. */
    void restored() {
        if (pending.decrementAndGet() == 0) {
            run();
        }
    }

    /** Restored sessions that have not yet put their subscriptions into the router. */
    int pending() {
        return Math.max(0, pending.get());
    }

    /** Runs {@code action} when every restored session is back: at once if there were none or they all are. */
    void whenDone(Runnable action) {
        whenDone.set(action);
        if (pending.get() <= 0) {
            run();
        }
    }

    private void run() {
        Runnable action = whenDone.getAndSet(RAN);
        if (action != null && action != RAN) {
            action.run();
        }
    }
}
