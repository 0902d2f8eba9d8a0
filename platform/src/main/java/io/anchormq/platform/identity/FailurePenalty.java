package io.anchormq.platform.identity;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Slows down repeated authentication failures from one address: the n-th failure within the window is answered
 * after {@code base × 2^(n-1)}, at most {@code max}. Bounded: at most {@code maxAddresses} addresses are
 * remembered (the one failing longest ago is forgotten first), so a flood of addresses cannot grow it.
 */
final class FailurePenalty {

    private record Failures(int count, long lastNanos) {
    }

    private final long baseMillis;
    private final long maxMillis;
    private final long windowNanos;
    private final Map<String, Failures> byAddress;
    final LongAdder failures = new LongAdder();
    final LongAdder delayed = new LongAdder();

    FailurePenalty(Duration base, Duration max, Duration window, int maxAddresses) {
        this.baseMillis = base.toMillis();
        this.maxMillis = max.toMillis();
        this.windowNanos = window.toNanos();
        this.byAddress = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
                return size() > maxAddresses;
            }
        };
    }

    /** Counts a failure from {@code address}; returns how long to wait before answering it, in milliseconds. */
    synchronized long failed(String address, long nowNanos) {
        failures.increment();
        Failures f = byAddress.get(address);
        int count = f == null || nowNanos - f.lastNanos() > windowNanos ? 1 : f.count() + 1;
        byAddress.put(address, new Failures(count, nowNanos));
        if (count <= 1 || baseMillis == 0) {
            return 0;
        }
        delayed.increment();
        return Math.min(maxMillis, baseMillis << Math.min(count - 2, 20));
    }

    /** A success from {@code address} clears its count. */
    synchronized void succeeded(String address) {
        byAddress.remove(address);
    }
}
