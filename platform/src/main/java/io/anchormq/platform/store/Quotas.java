package io.anchormq.platform.store;

/** A workspace's limits; a null one means the platform's default applies. */
public record Quotas(Integer maxConnections, Integer maxMessagesPerSecond, Long maxBytesPerSecond,
                     Integer maxSubscriptionsPerClient, Integer maxRetainedMessages, Integer maxQueuedMessages) {

    /** Every limit the platform's default. */
    public static final Quotas DEFAULTS = new Quotas(null, null, null, null, null, null);
}
