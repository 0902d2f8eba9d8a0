package io.anchormq.broker.session;

import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.integrity.LogReceipt;
import io.anchormq.broker.integrity.LoggedMessage;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The integrity log's hook, implemented for session tests: topics under {@code logged/} are logged before their
 * acknowledgement, under {@code journal/} logged with the acknowledgement at once, and a test decides when (and whether) each append becomes durable, and when the log is behind.
 */
final class TestIntegrityLog implements IntegrityLog {

    /** One append the session made, completed by the test. */
    record Append(LoggedMessage message, boolean confirm, Outcome outcome) {

        void durable(long leafIndex) {
            if (confirm) {
                outcome.logged(new LogReceipt("default", leafIndex, new byte[32], "checkpoint " + leafIndex));
            }
        }

        void failed() {
            outcome.failed(new IllegalStateException("disk full"));
        }
    }

    private final BlockingQueue<Append> appends = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<Runnable> waitingForRoom = new ConcurrentLinkedQueue<>();
    private volatile boolean behind;

    @Override
    public Coverage coverage(String topic, int qos) {
        if (qos == 0) {
            return Coverage.NONE;
        }
        return topic.startsWith("logged/") ? Coverage.LOGGED_BEFORE_ACK
                : topic.startsWith("journal/") ? Coverage.LOGGED : Coverage.NONE;
    }

    @Override
    public void append(LoggedMessage message, boolean confirm, Outcome outcome) {
        appends.add(new Append(message, confirm, outcome));
    }

    @Override
    public boolean isBehind() {
        return behind;
    }

    @Override
    public void whenCaughtUp(Runnable wake) {
        waitingForRoom.add(wake);
        if (!behind) {
            wakeWaiting(); // "at once if it has room", also when the test caught up just before this call
        }
    }

    /** The log falls behind, or catches up (waking whoever waits for room). */
    void behind(boolean isBehind) {
        behind = isBehind;
        if (!isBehind) {
            wakeWaiting();
        }
    }

    /** Runs each waiting wake exactly once, whichever thread gets to it. */
    private void wakeWaiting() {
        for (Runnable wake; (wake = waitingForRoom.poll()) != null; ) {
            wake.run();
        }
    }

    /** The next append, waiting up to 5 s. */
    Append next() throws InterruptedException {
        Append a = appends.poll(5, TimeUnit.SECONDS);
        if (a == null) {
            throw new AssertionError("no append within 5 s");
        }
        return a;
    }

    int waiting() {
        return appends.size();
    }
}
