package io.anchormq.anchoring.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LookupTableTest {

    @Test
    void aKeyFindsEveryIndexStoredWithItAscending() {
        LookupTable table = LookupTable.forKeys(100);
        Random random = new Random(7);
        long key = random.nextLong();
        for (long i = 0; i < 100; i++) {
            table.insert(i == 3 || i == 40 || i == 77 ? key : random.nextLong(), i);
        }
        assertEquals(100, table.entries());
        assertEquals(98, table.keys(), "one slot for the three leaves of the key");
        assertArrayEquals(new long[] {3, 40, 77}, table.candidates(key, 100));
        assertArrayEquals(new long[] {3, 40}, table.candidates(key, 77), "only below the published size");
        assertArrayEquals(new long[0], table.candidates(key, 3));
        assertArrayEquals(new long[0], table.candidates(key ^ 1, 100), "another fingerprint");
    }

    @Test
    void leavesGoInInOrder() {
        LookupTable table = LookupTable.forKeys(10);
        table.insert(1, 0);
        assertThrows(IllegalArgumentException.class, () -> table.insert(1, 0), "again");
        assertThrows(IllegalArgumentException.class, () -> table.insert(1, 2), "a gap");
        table.insert(1, 1);
        assertArrayEquals(new long[] {0, 1}, table.candidates(1, 10));
    }

    @Test
    void hashesWithTheSameHomeAndFingerprintAreBothCandidates() {
        LookupTable table = LookupTable.forKeys(10);
        long a = 0x1234_5678_9abc_def0L;
        long b = a ^ 0x0000_0000_0f00_0000L; // same high bits (home) and low 24 bits (fingerprint)
        table.insert(a, 0);
        table.insert(b, 1);
        assertArrayEquals(new long[] {0, 1}, table.candidates(a, 10), "the caller's entry check tells them apart");
        assertArrayEquals(new long[] {0, 1}, table.candidates(b, 10));
    }

    @Test
    void probesWrapAroundTheEnd() {
        LookupTable table = LookupTable.forKeys(10);
        long last = -1L; // the highest home: the last slot
        long[] keys = {last, last - 1, last - 2}; // the same home, three fingerprints
        for (long i = 0; i < 9; i++) {
            table.insert(keys[(int) (i % 3)], i);
        }
        assertEquals(3, table.keys());
        assertArrayEquals(new long[] {0, 3, 6}, table.candidates(keys[0], 10));
        assertArrayEquals(new long[] {1, 4, 7}, table.candidates(keys[1], 10));
        assertArrayEquals(new long[] {2, 5, 8}, table.candidates(keys[2], 10));
    }

    @Test
    void aKeyRepeatedAMillionTimesTakesOneSlot() {
        LookupTable table = LookupTable.forKeys(1000);
        Random random = new Random(3);
        long repeated = random.nextLong();
        int n = 1_000_000;
        for (long i = 0; i < n; i++) {
            table.insert(i % 1000 == 0 ? random.nextLong() : repeated, i);
        }
        assertEquals(1001, table.keys());
        assertFalse(table.wantsGrowth(0), "repetitions fill no slots");
        long[] found = table.candidates(repeated, n);
        assertEquals(n - 1000, found.length);
        assertArrayEquals(LongStream.range(0, n).filter(i -> i % 1000 != 0).toArray(), found);
    }

    @Test
    void loadLimits() {
        LookupTable table = LookupTable.forKeys(1000); // 1819 slots
        Random random = new Random(1);
        for (long i = 0; i < 1000; i++) {
            table.insert(random.nextLong(), i);
        }
        assertFalse(table.wantsGrowth(400));
        assertTrue(table.wantsGrowth(500));
        assertTrue(table.hasRoom(600));
        assertFalse(table.hasRoom(700));
    }
}
