package io.anchormq.anchoring.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * An in-memory multimap from 64-bit key hashes to leaf indexes: open addressing with linear probing over 8-byte
 * slots, each holding 24 bits of the key hash (a fingerprint) and the leaf index + 1 (0 marks an empty slot). A
 * slot's home is chosen by the hash's high bits (multiply-shift, so any capacity works), the fingerprint is its low
 * bits: the two are independent, so a probe run mistakes another key for this one with probability 2^-24 per slot.
 * Whatever it returns is a candidate that the caller confirms by reading the entry.
 *
 * <p>The table never grows: {@link LookupIndex} builds a larger one when it fills. Between {@link #GROW_AT} and
 * {@link #LOAD_AFTER_GROWTH} it costs 10 to 14.5 bytes per entry.
 *
 * <p>One writer inserts while any number of readers look up: slots are written with release and read with acquire
 * semantics (atomic for longs), and a slot, once written, never changes. A reader sees every insert that happened
 * before whatever published the entry to it (the log's volatile head).
 */
final class LookupTable {

    /** Load at which a larger table is wanted. Linear probing stays short up to here (~13 slots per miss). */
    static final double GROW_AT = 0.8;
    /** Load beyond which inserts must wait for the larger table. */
    static final double FULL_AT = 0.92;
    /** Load of a table built for a given number of entries. */
    static final double LOAD_AFTER_GROWTH = 0.55;
    /** The largest leaf index a slot holds (40 bits, minus the empty marker). */
    static final long MAX_INDEX = (1L << 40) - 2;

    private static final int INDEX_BITS = 40;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    private static final long FINGERPRINT_MASK = (1L << 24) - 1;
    private static final int CHUNK_SHIFT = 20; // 8 MiB arrays: no single huge allocation
    private static final int CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;
    private static final long MIN_CAPACITY = 1024;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    private final long capacity;
    private final long[][] chunks;
    /** Occupied slots; written by the one thread that inserts. */
    private long count;

    private LookupTable(long capacity) {
        this.capacity = capacity;
        int chunkCount = (int) ((capacity + CHUNK_MASK) >>> CHUNK_SHIFT);
        chunks = new long[chunkCount][];
        for (int c = 0; c < chunkCount; c++) {
            chunks[c] = new long[(int) Math.min(1 << CHUNK_SHIFT, capacity - ((long) c << CHUNK_SHIFT))];
        }
    }

    /** An empty table sized for {@code entries} entries at {@link #LOAD_AFTER_GROWTH}. */
    static LookupTable forEntries(long entries) {
        return new LookupTable(Math.max(MIN_CAPACITY, (long) Math.ceil(entries / LOAD_AFTER_GROWTH)));
    }

    long count() {
        return count;
    }

    /** Whether {@code more} inserts would take the table past {@link #GROW_AT}. */
    boolean wantsGrowth(long more) {
        return count + more > capacity * GROW_AT;
    }

    /** Whether {@code more} inserts fit below {@link #FULL_AT}. */
    boolean hasRoom(long more) {
        return count + more <= capacity * FULL_AT;
    }

    /** Adds (hash, index); a pair already present is not added again. The caller keeps the load below 1. */
    void insert(long hash, long index) {
        if (index < 0 || index > MAX_INDEX) {
            throw new IllegalArgumentException("leaf index " + index + " outside 0.." + MAX_INDEX);
        }
        long value = (hash & FINGERPRINT_MASK) << INDEX_BITS | (index + 1);
        for (long slot = home(hash); ; slot = next(slot)) {
            long current = get(slot);
            if (current == 0) {
                SLOT.setRelease(chunks[(int) (slot >>> CHUNK_SHIFT)], (int) (slot & CHUNK_MASK), value);
                count++;
                return;
            }
            if (current == value) {
                return;
            }
        }
    }

    /** The indexes below {@code below} stored with a hash whose fingerprint matches {@code hash}'s, ascending. */
    long[] candidates(long hash, long below) {
        long fingerprint = hash & FINGERPRINT_MASK;
        long[] found = new long[4];
        int n = 0;
        for (long slot = home(hash); ; slot = next(slot)) {
            long value = get(slot);
            if (value == 0) {
                break;
            }
            long index = (value & INDEX_MASK) - 1;
            if (value >>> INDEX_BITS == fingerprint && index < below) {
                if (n == found.length) {
                    found = Arrays.copyOf(found, 2 * n);
                }
                found[n++] = index;
            }
        }
        long[] sorted = Arrays.copyOf(found, n);
        Arrays.sort(sorted);
        return sorted;
    }

    /** Multiply-shift: the high 64 bits of the unsigned product hash × capacity, in [0, capacity). */
    private long home(long hash) {
        return Math.multiplyHigh(hash, capacity) + ((hash >> 63) & capacity);
    }

    private long next(long slot) {
        return slot + 1 == capacity ? 0 : slot + 1;
    }

    private long get(long slot) {
        return (long) SLOT.getAcquire(chunks[(int) (slot >>> CHUNK_SHIFT)], (int) (slot & CHUNK_MASK));
    }
}
