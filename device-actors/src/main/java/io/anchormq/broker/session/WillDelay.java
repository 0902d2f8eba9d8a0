package io.anchormq.broker.session;

/**
 * A will whose connection has ended: published at once, or after its Will Delay Interval unless the client comes
 * back first, and at the latest when the session ends (MQTT-3.1.3-9). Owned by the session actor, over the
 * session's current state, where the waiting will is kept.
 */
final class WillDelay {

    private static final String TIMER = "will";

    private final SessionState state;
    private final DeadlineTimers timers;
    private final InboundPublishes publishes;

    WillDelay(SessionState state, DeadlineTimers timers, InboundPublishes publishes) {
        this.state = state;
        this.timers = timers;
        this.publishes = publishes;
    }

    /** A session read back from the store waits on for its will. */
    void restore() {
        if (state.pendingWill != null) {
            timers.arm(TIMER, new SessionActor.WillDelayElapsed(), state.willDueMillis);
        }
    }

    /** The client is back before the delay has passed: the will is cancelled. */
    void cancel() {
        timers.cancel(TIMER);
        if (state.pendingWill != null) {
            state.pendingWill = null;
            state.dirty = true;
        }
    }

    /** The connection carrying {@code will} ended without removing it. */
    void connectionEnded(SessionState.Will will) {
        if (will.delaySeconds() > 0 && state.sessionExpiry > 0) {
            state.pendingWill = will;
            state.dirty = true;
            state.willDueMillis = System.currentTimeMillis() + 1000 * Math.min(will.delaySeconds(), state.sessionExpiry);
            timers.arm(TIMER, new SessionActor.WillDelayElapsed(), state.willDueMillis);
        } else {
            publishes.publishWill(will);
        }
    }

    /** Returns false if the timer fired early (and was armed again). */
    boolean onElapsed() {
        if (timers.rearmIfEarly(TIMER, new SessionActor.WillDelayElapsed(), state.willDueMillis)) {
            return false;
        }
        publishNow();
        return true;
    }

    /** The session ends: a will still waiting goes out now. */
    void publishNow() {
        SessionState.Will w = state.pendingWill;
        if (w != null) {
            timers.cancel(TIMER);
            state.pendingWill = null;
            state.dirty = true;
            publishes.publishWill(w);
        }
    }
}
