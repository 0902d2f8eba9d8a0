package io.anchormq.broker.session;

import java.util.Arrays;

/** A first-in first-out queue of longs in a growing ring: 8 bytes an element, no boxing. */
final class LongQueue {

    private static final long[] EMPTY = new long[0];
    /** Empty until the first element: most sessions never spill, and a restart makes 100,000 of them at once. */
    private long[] ring = EMPTY;
    private int head;
    private int size;

    void add(long v) {
        if (size == ring.length) {
            long[] bigger = new long[Math.max(16, ring.length * 2)];
            for (int i = 0; i < size; i++) {
                bigger[i] = ring[(head + i) % ring.length];
            }
            ring = bigger;
            head = 0;
        }
        ring[(head + size) % ring.length] = v;
        size++;
    }

    long poll() {
        if (size == 0) {
            throw new IllegalStateException("empty");
        }
        long v = ring[head];
        head = (head + 1) % ring.length;
        size--;
        return v;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        head = 0;
        size = 0;
        if (ring.length > 1024) {
            ring = EMPTY;
        } else {
            Arrays.fill(ring, 0);
        }
    }
}
