package io.anchormq.broker.integrity;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where sessions hand the messages that must be provable later (the anchoring log). Sessions consult it directly,
 * like the topic router, so there is no central actor on the path of every PUBLISH. Implementations must be
 * thread-safe and must not block.
 */
public interface IntegrityLog {

    /** What happens to a message that a client published. */
    enum Coverage {
        /** Not logged. */
        NONE,
        /** Logged; the PUBACK / PUBREC goes out at once. */
        LOGGED,
        /** Logged; the PUBACK / PUBREC goes out only once the entry is durably logged (a receipt). */
        LOGGED_BEFORE_ACK
    }

    /** How a message of this QoS on this topic is treated. */
    Coverage coverage(String topic, int qos);

    /**
     * Appends a message. The stage completes once the entry is durably logged, or fails if it cannot be (it is
     * then not in the log). Stages of one caller complete in the order of their appends.
     */
    CompletionStage<LogReceipt> append(LoggedMessage message);

    /** Logs nothing. */
    IntegrityLog NONE = new IntegrityLog() {
        @Override
        public Coverage coverage(String topic, int qos) {
            return Coverage.NONE;
        }

        @Override
        public CompletionStage<LogReceipt> append(LoggedMessage message) {
            return CompletableFuture.failedFuture(new IllegalStateException("no integrity log configured"));
        }
    };
}
