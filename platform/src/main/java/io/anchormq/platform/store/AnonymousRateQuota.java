package io.anchormq.platform.store;

/**
 * The rates each confined anonymous client of a workspace may publish at; a null one means the platform's default
 * applies, 0 no limit of its own (the workspace's quotas apply all the same).
 */
public record AnonymousRateQuota(Integer messagesPerSecond, Long bytesPerSecond) {

    /** Both the platform's default. */
    public static final AnonymousRateQuota DEFAULTS = new AnonymousRateQuota(null, null);
}
