package io.anchormq.bench.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

    @Test
    void countsLossDuplicatesAndReordering() {
        // sink 0 hears publisher 0; sink 1 hears publishers 0 and 1
        DeliveryLedger ledger = new DeliveryLedger(new int[][] {{0}, {0, 1}});
        assertEquals(DeliveryLedger.Outcome.IN_ORDER, ledger.record(0, 0, 0));
        assertEquals(DeliveryLedger.Outcome.IN_ORDER, ledger.record(0, 0, 2));
        assertEquals(DeliveryLedger.Outcome.OUT_OF_ORDER, ledger.record(0, 0, 1));
        assertEquals(DeliveryLedger.Outcome.DUPLICATE, ledger.record(0, 0, 2));
        assertEquals(DeliveryLedger.Outcome.IN_ORDER, ledger.record(1, 1, 0));
        assertEquals(DeliveryLedger.Outcome.MISROUTED, ledger.record(0, 1, 0));

        long[] sent = {4, 1};
        assertEquals(4 + 4 + 1, ledger.expected(sent));
        assertEquals(4, ledger.distinct());
        // sink 0 misses sequence 3 of publisher 0; sink 1 misses all four of publisher 0
        assertEquals(1 + 4, ledger.missing(sent));
        assertEquals(1, ledger.duplicates());
        assertEquals(1, ledger.outOfOrder());
        assertEquals(1, ledger.misrouted());
    }
}
