package io.anchormq.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SubscriptionFenceTest {

    private final SubscriptionFence fence = new SubscriptionFence();

    @Test
    void aPublishReadBeforeASubscribeIsNotHeldBack() {
        long before = fence.position();
        fence.subscribeArrived();
        assertTrue(fence.isClear(before));
    }

    @Test
    void aPublishReadAfterASubscribeWaitsUntilItIsRegistered() {
        long ticket = fence.subscribeArrived();
        long after = fence.position();
        assertFalse(fence.isClear(after));
        fence.subscribeDone(ticket);
        assertTrue(fence.isClear(after));
    }

    @Test
    void onlyEarlierSubscribesHoldAPublishBack() {
        long first = fence.subscribeArrived();
        long publishedBetween = fence.position();
        long second = fence.subscribeArrived();
        fence.subscribeDone(first);
        assertTrue(fence.isClear(publishedBetween), "the second SUBSCRIBE came after this PUBLISH");
        assertFalse(fence.isClear(fence.position()));
        fence.subscribeDone(second);
        assertTrue(fence.isClear(fence.position()));
    }

    @Test
    void waitersAreWokenOnceFromAnotherThreadWhenTheirSubscribesAreDone() throws Exception {
        long ticket = fence.subscribeArrived();
        long position = fence.position();
        AtomicInteger wakes = new AtomicInteger();
        CountDownLatch woken = new CountDownLatch(1);
        fence.awaitClear(position, () -> {
            wakes.incrementAndGet();
            woken.countDown();
        });
        assertEquals(0, wakes.get());
        Thread subscriber = new Thread(() -> fence.subscribeDone(ticket));
        subscriber.start();
        assertTrue(woken.await(5, TimeUnit.SECONDS));
        subscriber.join();
        fence.subscribeDone(fence.subscribeArrived()); // a later SUBSCRIBE must not wake it again
        assertEquals(1, wakes.get());
    }

    @Test
    void aWaiterAddedWhenAlreadyClearIsWokenAtOnce() {
        AtomicInteger wakes = new AtomicInteger();
        fence.awaitClear(fence.position(), wakes::incrementAndGet);
        assertEquals(1, wakes.get());
    }

    @Test
    void aSubscribeThatIsNeverRegisteredStopsHoldingPublishesBackAfterTheMaximumWait() {
        AtomicLong now = new AtomicLong(1_000);
        SubscriptionFence timed = new SubscriptionFence(now::get);
        timed.subscribeArrived();
        long position = timed.position();
        now.addAndGet(SubscriptionFence.MAX_WAIT_NANOS - 1);
        assertFalse(timed.isClear(position));
        assertEquals(0, timed.expiredTickets());
        now.addAndGet(1);
        assertTrue(timed.isClear(position));
        assertEquals(1, timed.expiredTickets());
    }
}
