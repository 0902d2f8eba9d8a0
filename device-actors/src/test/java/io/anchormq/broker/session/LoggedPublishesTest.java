package io.anchormq.broker.session;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Which packet ids a session remembers as logged: the newest {@code window} ids, each with its latest append. */
class LoggedPublishesTest {

    private static final byte[] SHA = new byte[32];

    @Test
    void theNewestIdsOfTheWindowAreRememberedAndTheOldestForgotten() {
        LoggedPublishes logged = new LoggedPublishes(3);
        for (int id = 1; id <= 5; id++) {
            logged.appending(id, "t", SHA);
        }
        assertNull(logged.earlierAppend(1));
        assertNull(logged.earlierAppend(2));
        for (int id = 3; id <= 5; id++) {
            assertNotNull(logged.earlierAppend(id), "id " + id);
        }
    }

    @Test
    void anIdAppendedAgainIsTheNewestAndKeepsItsLatestEntry() {
        LoggedPublishes logged = new LoggedPublishes(3);
        logged.appending(1, "t", SHA);
        logged.appending(2, "t", SHA);
        logged.appending(3, "t", SHA);
        LoggedPublishes.Entry again = logged.appending(1, "u", SHA); // 1 is now the newest: 2 goes first
        logged.appending(4, "t", SHA);
        assertNull(logged.earlierAppend(2));
        assertSame(again, logged.earlierAppend(1));
        assertSame(again, logged.earlierAppendOf(1, "u", SHA));
        assertNull(logged.earlierAppendOf(1, "t", SHA), "the older content of id 1 is not a retransmission now");
        logged.appending(5, "t", SHA); // 3 goes: it is older than the second append of 1
        assertNull(logged.earlierAppend(3));
        assertSame(again, logged.earlierAppend(1));
        logged.appending(6, "t", SHA);
        assertNull(logged.earlierAppend(1));
    }

    @Test
    void aFailedAppendIsForgottenButALaterOneUnderTheSameIdIsNot() {
        LoggedPublishes logged = new LoggedPublishes(4);
        LoggedPublishes.Entry first = logged.appending(7, "t", SHA);
        LoggedPublishes.Entry second = logged.appending(7, "t", SHA);
        logged.completed(first, true); // superseded already: the id's latest append stays
        assertSame(second, logged.earlierAppend(7));
        logged.completed(second, true);
        assertNull(logged.earlierAppend(7));
        for (int id = 1; id <= 4; id++) {
            logged.appending(id, "t", SHA);
        }
        for (int id = 1; id <= 4; id++) {
            assertNotNull(logged.earlierAppend(id), "a forgotten entry takes no room in the window: id " + id);
        }
    }
}
