package io.anchormq.broker.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The spilled-delivery queue: first in, first out, from empty (it holds no array then) through growth and clear. */
class LongQueueTest {

    @Test
    void keepsOrderFromEmptyThroughGrowthWrapAroundAndClear() {
        LongQueue q = new LongQueue();
        assertTrue(q.isEmpty());
        assertThrows(IllegalStateException.class, q::poll);
        long next = 0;
        long expected = 0;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 40; i++) {
                q.add(next++);
            }
            for (int i = 0; i < 25; i++) { // the head moves on, so later adds wrap around the ring
                assertEquals(expected++, q.poll());
            }
        }
        assertEquals(next - expected, q.size());
        while (!q.isEmpty()) {
            assertEquals(expected++, q.poll());
        }
        assertEquals(next, expected);

        for (int i = 0; i < 5000; i++) {
            q.add(i);
        }
        q.clear();
        assertTrue(q.isEmpty());
        q.add(7);
        q.add(8);
        assertEquals(7, q.poll());
        assertEquals(8, q.poll());
        assertTrue(q.isEmpty());
    }
}
