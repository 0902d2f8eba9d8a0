package io.anchormq.broker.session;

import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.integrity.LogReceipt;
import io.anchormq.broker.integrity.LoggedMessage;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The integrity log's hook, implemented for session tests: topics under {@code logged/} are logged before their
 * acknowledgement, and a test decides when (and whether) each append becomes durable.
 */
final class TestIntegrityLog implements IntegrityLog {

    /** One append the session made, completed by the test. */
    record Append(LoggedMessage message, CompletableFuture<LogReceipt> result) {

        void durable(long leafIndex) {
            result.complete(new LogReceipt("default", leafIndex, new byte[32], "checkpoint " + leafIndex));
        }

        void failed() {
            result.completeExceptionally(new IllegalStateException("disk full"));
        }
    }

    private final BlockingQueue<Append> appends = new LinkedBlockingQueue<>();

    @Override
    public Coverage coverage(String topic, int qos) {
        return topic.startsWith("logged/") && qos > 0 ? Coverage.LOGGED_BEFORE_ACK : Coverage.NONE;
    }

    @Override
    public CompletionStage<LogReceipt> append(LoggedMessage message) {
        Append a = new Append(message, new CompletableFuture<>());
        appends.add(a);
        return a.result();
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
