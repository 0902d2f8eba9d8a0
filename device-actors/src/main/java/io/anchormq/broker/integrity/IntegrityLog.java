package io.anchormq.broker.integrity;

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

    /** How one append ended; told once, on the log's own thread: hand it on, do not block. */
    interface Outcome {

        /** The entry is durably logged (told only to appends made with {@code confirm}). */
        void logged(LogReceipt receipt);

        /** The entry is not in the log. */
        void failed(Throwable failure);
    }

    /** How a message of this QoS on this topic is treated. */
    Coverage coverage(String topic, int qos);

    /**
     * Appends a message. {@code outcome} hears of a failure, and, with {@code confirm}, of the receipt once the entry
     * is durable; without it a success goes unannounced, which spares the log and the caller a message per append.
     * The outcomes of one caller's appends are told in the order of its appends.
     */
    void append(LoggedMessage message, boolean confirm, Outcome outcome);

    /** Whether so many appends are outstanding that publishers should stop being read until there is room. */
    boolean isBehind();

    /** Runs {@code wake} once (on some thread) when the log has room again, at once if it has. */
    void whenCaughtUp(Runnable wake);

    /** Logs nothing. */
    IntegrityLog NONE = new IntegrityLog() {
        @Override
        public Coverage coverage(String topic, int qos) {
            return Coverage.NONE;
        }

        @Override
        public void append(LoggedMessage message, boolean confirm, Outcome outcome) {
            outcome.failed(new IllegalStateException("no integrity log configured"));
        }

        @Override
        public boolean isBehind() {
            return false;
        }

        @Override
        public void whenCaughtUp(Runnable wake) {
            wake.run();
        }
    };
}
