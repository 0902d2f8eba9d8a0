package io.anchormq.anchoring.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * An in-memory multimap from 64-bit key hashes to leaf indexes, holding the leaves {@code 0..entries()-1}. Open
 * addressing with linear probing over 8-byte slots, one slot per key: it holds 24 bits of the key hash (a
 * fingerprint) and the key's newest leaf index + 1 (0 marks an empty slot). Each leaf links to the previous leaf
 * of its slot, so a key's leaves are a chain from the slot, newest first. A slot's home is chosen by the hash's
 * high bits (multiply-shift, so any capacity works), the fingerprint is its low bits: the two are independent, so a
 * probe run mistakes another key for this one with probability 2^-24 per slot, and then both keys share a chain.
 * Whatever it returns is a candidate that the caller confirms by reading the entry.
 *
 * <p>Why chains: a device that sends the same message again and again (an unchanged reading, a status) logs one
 * key many times. With a slot per leaf, those leaves would fill one ever longer probe run, and every insert of that
 * key, and of any key whose home falls inside the run, would walk all of it: appends slowed down as the log grew.
 * With chains, an insert probes as far as for a new key, whatever the repetitions.
 *
 * <p>The table never grows its slots: {@link LookupIndex} builds a larger one when they fill. Between
 * {@link #GROW_AT} and {@link #LOAD_AFTER_GROWTH} a slot costs 10 to 14.5 bytes per key, and each leaf 5 bytes
 * for its link: 15 to 19.5 bytes per entry when every key is new, about 5 when keys repeat.
 *
 * <p>One writer inserts while any number of readers look up: a leaf's link is written before its slot, slots are
 * written with release and read with acquire semantics (atomic for longs), and a slot's fingerprint never changes.
 * So a reader that sees a leaf in a slot sees its whole chain, and sees every insert that happened before whatever
 * published an entry to it (the log's volatile head).
 */
final class LookupTable {

    /** Load at which a larger table is wanted. Linear probing stays short up to here (~13 slots per miss). */
    static final double GROW_AT = 0.8;
    /** Load beyond which inserts must wait for the larger table. */
    static final double FULL_AT = 0.92;
    /** Load of a table built for a given number of keys. */
    static final double LOAD_AFTER_GROWTH = 0.55;
    /** The largest leaf index a slot holds (40 bits, minus the empty marker). */
    static final long MAX_INDEX = (1L << 40) - 2;

    private static final int INDEX_BITS = 40;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    private static final long FINGERPRINT_MASK = (1L << 24) - 1;
    private static final int CHUNK_SHIFT = 20; // 8 MiB slot arrays, 5 MiB of links: no single huge allocation
    private static final int CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;
    private static final long MIN_CAPACITY = 1024;
    private static final int MIN_LINKS = 1024;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    private final long capacity;
    private final long[][] slots;
    /**
     * Per leaf, the previous leaf of its slot + 1 (0: none), 40 bits: the low 32 here, the high 8 in
     * {@link #linksHigh}. Grown as leaves come, by replacing arrays with larger copies, before the slot that
     * publishes the leaf is written: whichever version a reader sees holds every leaf published to it.
     */
    private volatile int[][] linksLow = new int[0][];
    private volatile byte[][] linksHigh = new byte[0][];
    // written by the one thread that inserts
    private long entries;
    private long keys;

    private LookupTable(long capacity) {
        this.capacity = capacity;
        int chunkCount = (int) ((capacity + CHUNK_MASK) >>> CHUNK_SHIFT);
        slots = new long[chunkCount][];
        for (int c = 0; c < chunkCount; c++) {
            slots[c] = new long[(int) Math.min(1 << CHUNK_SHIFT, capacity - ((long) c << CHUNK_SHIFT))];
        }
    }

    /** An empty table with slots for {@code keys} keys at {@link #LOAD_AFTER_GROWTH}. */
    static LookupTable forKeys(long keys) {
        return new LookupTable(Math.max(MIN_CAPACITY, (long) Math.ceil(keys / LOAD_AFTER_GROWTH)));
    }

    /** How many leaves it holds: the next insert is of leaf {@code entries()}. */
    long entries() {
        return entries;
    }

    /** Occupied slots: about the number of distinct keys. */
    long keys() {
        return keys;
    }

    /** Whether {@code more} inserts, were they all of new keys, would take the table past {@link #GROW_AT}. */
    boolean wantsGrowth(long more) {
        return keys + more > capacity * GROW_AT;
    }

    /** Whether {@code more} inserts fit below {@link #FULL_AT}, even if they are all of new keys. */
    boolean hasRoom(long more) {
        return keys + more <= capacity * FULL_AT;
    }

    /**
     * Adds leaf {@code index}, which must be the next one ({@link #entries()}), with key hash {@code hash}. The
     * caller keeps the load below 1.
     */
    void insert(long hash, long index) {
        if (index != entries) {
            throw new IllegalArgumentException("leaf " + index + " inserted into a table of leaves 0.." + (entries - 1)
                    + ": leaves go in in order");
        }
        if (index > MAX_INDEX) {
            throw new IllegalArgumentException("leaf index " + index + " beyond " + MAX_INDEX);
        }
        long fingerprint = hash & FINGERPRINT_MASK;
        long slot = home(hash);
        long current;
        while ((current = get(slot)) != 0 && current >>> INDEX_BITS != fingerprint) {
            slot = next(slot);
        }
        setLink(index, current & INDEX_MASK); // the slot's previous leaf + 1, or 0
        SLOT.setRelease(slots[(int) (slot >>> CHUNK_SHIFT)], (int) (slot & CHUNK_MASK),
                fingerprint << INDEX_BITS | (index + 1));
        if (current == 0) {
            keys++;
        }
        entries++;
    }

    /** The leaves below {@code below} stored with a hash whose fingerprint matches {@code hash}'s, ascending. */
    long[] candidates(long hash, long below) {
        long fingerprint = hash & FINGERPRINT_MASK;
        long slot = home(hash);
        long current;
        while ((current = get(slot)) != 0 && current >>> INDEX_BITS != fingerprint) {
            slot = next(slot);
        }
        long[] found = new long[4];
        int n = 0;
        for (long leafPlusOne = current & INDEX_MASK; leafPlusOne != 0; leafPlusOne = link(leafPlusOne - 1)) {
            long leaf = leafPlusOne - 1;
            if (leaf < below) {
                if (n == found.length) {
                    found = Arrays.copyOf(found, 2 * n);
                }
                found[n++] = leaf;
            }
        }
        long[] ascending = new long[n];
        for (int i = 0; i < n; i++) {
            ascending[i] = found[n - 1 - i];
        }
        return ascending;
    }

    private void setLink(long leaf, long previousPlusOne) {
        int chunk = (int) (leaf >>> CHUNK_SHIFT);
        int at = (int) (leaf & CHUNK_MASK);
        if (chunk == linksLow.length || at == linksLow[chunk].length) {
            growLinks(chunk, at);
        }
        linksLow[chunk][at] = (int) previousPlusOne;
        linksHigh[chunk][at] = (byte) (previousPlusOne >>> 32);
    }

    /** Room for link {@code at} of {@code chunk}: a chunk starts small and doubles, so a small log stays small. */
    private void growLinks(int chunk, int at) {
        int length = Math.min(1 << CHUNK_SHIFT, Math.max(MIN_LINKS, 2 * at));
        int[][] low = Arrays.copyOf(linksLow, chunk + 1);
        byte[][] high = Arrays.copyOf(linksHigh, chunk + 1);
        low[chunk] = low[chunk] == null ? new int[length] : Arrays.copyOf(low[chunk], length);
        high[chunk] = high[chunk] == null ? new byte[length] : Arrays.copyOf(high[chunk], length);
        linksLow = low;
        linksHigh = high;
    }

    private long link(long leaf) {
        int chunk = (int) (leaf >>> CHUNK_SHIFT);
        int at = (int) (leaf & CHUNK_MASK);
        return (linksHigh[chunk][at] & 0xFFL) << 32 | (linksLow[chunk][at] & 0xFFFF_FFFFL);
    }

    /** Multiply-shift: the high 64 bits of the unsigned product hash × capacity, in [0, capacity). */
    private long home(long hash) {
        return Math.multiplyHigh(hash, capacity) + ((hash >> 63) & capacity);
    }

    private long next(long slot) {
        return slot + 1 == capacity ? 0 : slot + 1;
    }

    private long get(long slot) {
        return (long) SLOT.getAcquire(slots[(int) (slot >>> CHUNK_SHIFT)], (int) (slot & CHUNK_MASK));
    }
}
