package io.anchormq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The inbound rates as token buckets: a confined anonymous client's own rates hold it back and refuse what would
 * take too long, without touching the workspace's, while the workspace's apply to it as well.
 */
class WorkspaceQuotasTest {

    @Test
    void anAnonymousClientIsHeldToItsOwnRatesAndOthersAreNot() {
        WorkspaceQuotas quotas = new WorkspaceQuotas();
        quotas.setAnonymousRates(10, 1000);
        WorkspaceQuotas.ClientRates anonymous = quotas.anonymousClientRates();
        for (int i = 0; i < 10; i++) {
            assertEquals(0, anonymous.takeInbound(10), "a second's worth at once");
        }
        long hold = anonymous.takeInbound(10);
        assertTrue(hold > 50 && hold <= 100, "held back about 100 ms: " + hold);
        assertEquals(0, quotas.takeInbound(10), "the workspace's own clients are not");
        assertEquals(0, quotas.anonymousClientRates().takeInbound(10), "nor is another anonymous client");
        assertEquals(-1, quotas.anonymousClientRates().takeInbound(3001), "more than three seconds' worth: refused");
    }

    @Test
    void theWorkspacesRatesApplyToItsAnonymousClientsAsWell() {
        WorkspaceQuotas quotas = new WorkspaceQuotas();
        quotas.set(0, 0, 0, 0, 5, 0);
        quotas.setAnonymousRates(0, 0);
        WorkspaceQuotas.ClientRates anonymous = quotas.anonymousClientRates();
        for (int i = 0; i < 5; i++) {
            assertEquals(0, anonymous.takeInbound(1));
        }
        assertTrue(anonymous.takeInbound(1) > 0, "the workspace's rate, drawn by its anonymous client");
        assertTrue(quotas.takeInbound(1) > 0, "and used up for the others");
    }

    @Test
    void newAnonymousRatesApplyAtTheNextPublish() {
        WorkspaceQuotas quotas = new WorkspaceQuotas();
        quotas.setAnonymousRates(1, 0);
        WorkspaceQuotas.ClientRates anonymous = quotas.anonymousClientRates();
        assertEquals(0, anonymous.takeInbound(1));
        assertTrue(anonymous.takeInbound(1) > 0);
        quotas.setAnonymousRates(0, 0);
        assertEquals(0, anonymous.takeInbound(1), "no rate of its own any more");
    }
}
