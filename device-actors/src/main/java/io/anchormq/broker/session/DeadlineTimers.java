package io.anchormq.broker.session;

import java.time.Duration;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The session's timers for wall-clock deadlines (will delay, session expiry). Pekko's scheduler cannot take delays
 * of months, but MQTT intervals go up to 136 years, so long waits are cut into steps: a timer that fires early is
 * armed again until the deadline.
 */
final class DeadlineTimers {

    private static final long LONGEST_TIMER_MILLIS = Duration.ofDays(30).toMillis();

    private final TimerScheduler<SessionActor.Command> timers;

    DeadlineTimers(TimerScheduler<SessionActor.Command> timers) {
        this.timers = timers;
    }

    void arm(String key, SessionActor.Command message, long dueMillis) {
        long delay = Math.max(0, Math.min(dueMillis - System.currentTimeMillis(), LONGEST_TIMER_MILLIS));
        timers.startSingleTimer(key, message, Duration.ofMillis(delay));
    }

    /** True if the deadline has not come yet; the timer is then armed again. */
    boolean rearmIfEarly(String key, SessionActor.Command message, long dueMillis) {
        if (System.currentTimeMillis() < dueMillis) {
            arm(key, message, dueMillis);
            return true;
        }
        return false;
    }

    void cancel(String key) {
        timers.cancel(key);
    }
}
