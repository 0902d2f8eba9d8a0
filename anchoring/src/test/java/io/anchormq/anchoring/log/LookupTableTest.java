package io.anchormq.anchoring.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LookupTableTest {

    @Test
    void aKeyFindsEveryIndexStoredWithItAscending() {
        LookupTable table = LookupTable.forEntries(100);
        Random random = new Random(7);
        long key = random.nextLong();
        for (long i = 0; i < 50; i++) {
            table.insert(random.nextLong(), 2 * i + 1);
        }
        table.insert(key, 40);
        table.insert(key, 3);
        table.insert(key, 77);
        table.insert(key, 3); // again: not a second slot
        assertEquals(53, table.count());
        assertArrayEquals(new long[] {3, 40, 77}, table.candidates(key, 100));
        assertArrayEquals(new long[] {3, 40}, table.candidates(key, 77), "only below the published size");
        assertArrayEquals(new long[0], table.candidates(key ^ 1, 100), "another fingerprint");
    }

    @Test
    void hashesWithTheSameHomeAndFingerprintAreBothCandidates() {
        LookupTable table = LookupTable.forEntries(10);
        long a = 0x1234_5678_9abc_def0L;
        long b = a ^ 0x0000_0000_0f00_0000L; // same high bits (home) and low 24 bits (fingerprint)
        table.insert(a, 1);
        table.insert(b, 2);
        assertArrayEquals(new long[] {1, 2}, table.candidates(a, 10), "the caller's entry check tells them apart");
    }

    @Test
    void probesWrapAroundTheEnd() {
        LookupTable table = LookupTable.forEntries(10);
        long last = -1L; // the highest home: the last slot
        for (long i = 0; i < 5; i++) {
            table.insert(last, i);
        }
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, table.candidates(last, 10));
    }

    @Test
    void loadLimits() {
        LookupTable table = LookupTable.forEntries(1000); // 1819 slots
        Random random = new Random(1);
        for (long i = 0; i < 1000; i++) {
            table.insert(random.nextLong(), i);
        }
        assertFalse(table.wantsGrowth(400));
        assertTrue(table.wantsGrowth(500));
        assertTrue(table.hasRoom(600));
        assertFalse(table.hasRoom(700));
        assertThrows(IllegalArgumentException.class, () -> table.insert(1, LookupTable.MAX_INDEX + 1));
        assertThrows(IllegalArgumentException.class, () -> table.insert(1, -1));
    }
}
