package io.anchormq.broker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A workspace's quotas, in force: changed at any time by the platform (a workspace updated through the admin API)
 * and read by its connections and sessions on every CONNECT, SUBSCRIBE and PUBLISH. 0 means no limit.
 *
 * <p>The inbound rates are token buckets holding one second's worth: a publish that overdraws them is accepted and
 * its publisher is not read for as long as the overdraft takes to refill (back-pressure through TCP); only a
 * publish that would overdraw by more than {@link #MAX_OVERDRAFT_MILLIS} is refused (MQTT 5: 0x97). A confined
 * anonymous client has rates of its own besides ({@link #anonymousClientRates}), in the same way.
 */
public final class WorkspaceQuotas {

    /** The longest a publisher is held back for one publish; beyond, the publish is refused. */
    public static final long MAX_OVERDRAFT_MILLIS = 2_000;

    private volatile int maxConnections;
    private volatile int maxSubscriptionsPerClient;
    private volatile int maxRetainedMessages;
    private volatile int maxQueuedMessages;
    private final Bucket messages = new Bucket();
    private final Bucket bytes = new Bucket();
    private volatile long anonymousMessagesPerSecond;
    private volatile long anonymousBytesPerSecond;
    private final AtomicInteger connections = new AtomicInteger();

    /** Puts new limits in force (0 or less: none). */
    public void set(int maxConnections, int maxSubscriptionsPerClient, int maxRetainedMessages, int maxQueuedMessages,
                    long maxMessagesPerSecond, long maxBytesPerSecond) {
        this.maxConnections = Math.max(0, maxConnections);
        this.maxSubscriptionsPerClient = Math.max(0, maxSubscriptionsPerClient);
        this.maxRetainedMessages = Math.max(0, maxRetainedMessages);
        this.maxQueuedMessages = Math.max(0, maxQueuedMessages);
        messages.setRate(maxMessagesPerSecond);
        bytes.setRate(maxBytesPerSecond);
    }

    /**
     * Puts new rates in force for each confined anonymous client (0 or less: none of its own); the clients' buckets
     * follow at their next publish.
     */
    public void setAnonymousRates(long messagesPerSecond, long bytesPerSecond) {
        anonymousMessagesPerSecond = Math.max(0, messagesPerSecond);
        anonymousBytesPerSecond = Math.max(0, bytesPerSecond);
    }

    /**
     * The inbound rates of one confined anonymous client: buckets of its own at the workspace's anonymous rates, so
     * that a client nobody vouches for cannot use up what the workspace's devices may publish. Its publishes are
     * taken from the workspace's rates as well, which bound everything the workspace's clients publish.
     */
    public ClientRates anonymousClientRates() {
        return new ClientRates();
    }

    /** Counts a connection in, unless the workspace has its maximum already. */
    public boolean admitConnection() {
        while (true) {
            int now = connections.get();
            int max = maxConnections;
            if (max > 0 && now >= max) {
                return false;
            }
            if (connections.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public int connections() {
        return connections.get();
    }

    public int maxSubscriptionsPerClient() {
        return maxSubscriptionsPerClient;
    }

    public int maxRetainedMessages() {
        return maxRetainedMessages;
    }

    /** The bound of a new session's queue, or 0 for the broker's {@code max-queued-messages}. */
    public int maxQueuedMessages() {
        return maxQueuedMessages;
    }

    /**
     * Takes one inbound publish of {@code size} bytes from the rates: returns 0 (within them), the milliseconds its
     * publisher should not be read, or -1 when it would overdraw them by more than {@link #MAX_OVERDRAFT_MILLIS}
     * (nothing taken then: refuse it).
     */
    public long takeInbound(int size) {
        if (!messages.limited() && !bytes.limited()) {
            return 0;
        }
        long now = System.nanoTime();
        long waitMessages = messages.take(1, now);
        if (waitMessages < 0) {
            return -1;
        }
        long waitBytes = bytes.take(size, now);
        if (waitBytes < 0) {
            messages.giveBack(1);
            return -1;
        }
        return TimeUnit.NANOSECONDS.toMillis(Math.max(waitMessages, waitBytes));
    }

    /** One client's rates of its own, over the workspace's; used by its session only. */
    public final class ClientRates {
        private final Bucket messages = new Bucket();
        private final Bucket bytes = new Bucket();

        private ClientRates() {
        }

        /** As {@link WorkspaceQuotas#takeInbound}, from the client's own rates and then the workspace's. */
        public long takeInbound(int size) {
            messages.follow(anonymousMessagesPerSecond);
            bytes.follow(anonymousBytesPerSecond);
            long own = 0;
            if (messages.limited() || bytes.limited()) {
                long now = System.nanoTime();
                long waitMessages = messages.take(1, now);
                if (waitMessages < 0) {
                    return -1;
                }
                long waitBytes = bytes.take(size, now);
                if (waitBytes < 0) {
                    messages.giveBack(1);
                    return -1;
                }
                own = TimeUnit.NANOSECONDS.toMillis(Math.max(waitMessages, waitBytes));
            }
            long workspace = WorkspaceQuotas.this.takeInbound(size);
            if (workspace < 0) {
                messages.giveBack(1);
                bytes.giveBack(size);
                return -1;
            }
            return Math.max(own, workspace);
        }
    }

    /** A token bucket of one second's worth that may be overdrawn by up to {@link #MAX_OVERDRAFT_MILLIS}. */
    private static final class Bucket {
        private volatile long perSecond;
        private double tokens;
        private long refilledAt = System.nanoTime();

        boolean limited() {
            return perSecond > 0;
        }

        synchronized void setRate(long rate) {
            perSecond = Math.max(0, rate);
            tokens = perSecond;
            refilledAt = System.nanoTime();
        }

        /** Takes {@code rate} on if it is not the bucket's rate any more (starting full, as a new one). */
        void follow(long rate) {
            if (perSecond != rate) {
                setRate(rate);
            }
        }

        /** Nanoseconds until the overdraft is repaid (0 if none), or -1 when it would be too large. */
        synchronized long take(long amount, long now) {
            long rate = perSecond;
            if (rate <= 0) {
                return 0;
            }
            tokens = Math.min(rate, tokens + (now - refilledAt) * (rate / 1e9));
            refilledAt = now;
            double after = tokens - amount;
            long waitNanos = after >= 0 ? 0 : (long) (-after / rate * 1e9);
            if (waitNanos > TimeUnit.MILLISECONDS.toNanos(MAX_OVERDRAFT_MILLIS)) {
                return -1;
            }
            tokens = after;
            return waitNanos;
        }

        synchronized void giveBack(long amount) {
            tokens += amount;
        }
    }
}
