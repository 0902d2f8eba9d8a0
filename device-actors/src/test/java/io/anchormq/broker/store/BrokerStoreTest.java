package io.anchormq.broker.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.store.BrokerStore.Family;
import io.netty.handler.codec.mqtt.MqttProperties;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerStoreTest {

    @TempDir
    Path dir;

    private BrokerStore open() {
        return BrokerStore.open(dir.resolve("state"), BrokerStore.Fsync.NEVER, Duration.ofSeconds(1));
    }

    private static Message message(String topic, String payload) {
        return new Message(topic, 1, false, payload.getBytes(StandardCharsets.UTF_8),
                List.of(new MqttProperties.StringProperty(3, "text/plain"),
                        new MqttProperties.UserProperties(List.of(new MqttProperties.StringPair("k", "v")))),
                "pub", Message.NEVER);
    }

    @Test
    void aMessageReferencedBySeveralDeliveriesIsStoredOnceAndGoesWithTheLastReference() {
        try (BrokerStore store = open()) {
            Message m = message("t", "x");
            long a = store.referenceMessage(m);
            long b = store.referenceMessage(m);
            long c = store.referenceMessage(m);
            assertEquals(a, b);
            assertEquals(a, c);
            assertEquals(1, store.storedMessages());
            store.releaseMessage(a);
            store.releaseMessage(a);
            assertNotNull(store.message(a));
            store.releaseMessage(a);
            assertNull(store.message(a), "the last reference deleted the record");
            assertTrue(store.referenceMessage(m) != a, "a released id is never reused");
        }
    }

    @Test
    void underEveryFsyncPolicyWhatWasWrittenIsReadBackAfterReopening() {
        for (BrokerStore.Fsync fsync : BrokerStore.Fsync.values()) {
            Path at = dir.resolve("state-" + fsync);
            byte[] key = BrokerStore.key("w", "t/" + fsync);
            try (BrokerStore store = BrokerStore.open(at, fsync, Duration.ofMillis(100))) {
                store.put(Family.RETAINED, key, StoreRecords.message(message("t/" + fsync, "x")));
            }
            try (BrokerStore store = BrokerStore.open(at, fsync, Duration.ofMillis(100))) {
                byte[] back = store.get(Family.RETAINED, key);
                assertNotNull(back, fsync + ": the record is there");
                assertEquals("t/" + fsync, StoreRecords.readMessage(back).topic());
            }
        }
    }

    @Test
    void messagesReadBackTogetherShareOnePublisherString() {
        Map<String, String> publishers = new HashMap<>();
        Message a = StoreRecords.readMessage(StoreRecords.message(message("a", "1")), publishers);
        Message b = StoreRecords.readMessage(StoreRecords.message(message("b", "2")), publishers);
        assertEquals("pub", a.publisherId());
        assertSame(a.publisherId(), b.publisherId());
        Message alone = StoreRecords.readMessage(StoreRecords.message(message("c", "3")));
        assertEquals("pub", alone.publisherId());
    }

    @Test
    void messagesRoundTripWithPropertiesAndTheirRemainingExpiry() {
        try (BrokerStore store = open()) {
            Message m = new Message("a/b", 2, true, new byte[] {1, 2, 3}, message("t", "x").passThrough(), "p",
                    System.nanoTime() + 60_000_000_000L);
            Message back = store.message(store.referenceMessage(m));
            assertEquals("a/b", back.topic());
            assertEquals(2, back.qos());
            assertTrue(back.retain());
            assertEquals(3, back.payload().length);
            assertEquals(2, back.passThrough().size());
            long remaining = back.remainingExpirySeconds(System.nanoTime());
            assertTrue(remaining >= 59 && remaining <= 60, "remaining expiry " + remaining);
        }
    }

    @Test
    void atOpenMessagesNoDeliveryReferencesAreRemovedAndReferencesAreCounted() {
        long kept;
        long orphan;
        byte[] deliveryKey = BrokerStore.withLong(BrokerStore.key("ws", "c"), 7);
        try (BrokerStore store = open()) {
            kept = store.referenceMessage(message("t", "kept"));
            orphan = store.referenceMessage(message("t", "orphan"));
            Delivery d = new Delivery(message("t", "kept"), 1, false, List.of(), null, null);
            store.put(Family.DELIVERIES, deliveryKey, StoreRecords.delivery(d, kept, 0, false));
        }
        try (BrokerStore store = open()) {
            assertNotNull(store.message(kept));
            assertNull(store.message(orphan), "a crash between a message and its deliveries leaves no garbage");
            assertEquals(8, store.nextSequence(), "sequences continue after the highest stored");
            store.releaseMessage(kept);
            assertNull(store.message(kept), "its one reference was counted at open");
        }
    }

    @Test
    void writesInAGroupLandTogetherAndDeferredActionsRunAfterTheCommit() {
        try (BrokerStore store = open()) {
            List<String> order = new ArrayList<>();
            store.inGroup(() -> {
                store.put(Family.RETAINED, BrokerStore.key("ws", "a"), new byte[] {1});
                store.afterCommit(() -> order.add("after: " + (store.get(Family.RETAINED,
                        BrokerStore.key("ws", "a")) != null)));
                order.add("inside: " + (store.get(Family.RETAINED, BrokerStore.key("ws", "a")) != null));
            });
            assertEquals(List.of("inside: false", "after: true"), order);
        }
    }

    @Test
    void onAnEventLoopTheGroupsOfATurnAreOneBatchAndTheirActionsRunAfterIt() throws Exception {
        io.netty.channel.DefaultEventLoop loop = new io.netty.channel.DefaultEventLoop();
        try (BrokerStore store = open()) {
            byte[] a = BrokerStore.key("ws", "a");
            byte[] b = BrokerStore.key("ws", "b");
            byte[] failed = BrokerStore.key("ws", "failed");
            List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            loop.submit(() -> {
                for (byte[] k : List.of(a, b)) {
                    store.inGroup(() -> {
                        store.put(Family.RETAINED, k, new byte[] {1});
                        store.afterCommit(() -> seen.add("after " + BrokerStore.parts(k, 0).get(1) + ": both "
                                + (store.get(Family.RETAINED, a) != null && store.get(Family.RETAINED, b) != null)));
                    });
                }
                assertThrows(IllegalArgumentException.class, () -> store.inGroup(() -> {
                    store.put(Family.RETAINED, failed, new byte[] {1});
                    store.afterCommit(() -> seen.add("after the failed group"));
                    throw new IllegalArgumentException("the group's work failed");
                }));
                seen.add("end of the turn's work");
            }).get();
            loop.submit(() -> { }).get(); // behind the commit
            assertEquals(List.of("end of the turn's work", "after a: both true", "after b: both true"), seen);
            assertNull(store.get(Family.RETAINED, failed), "a failed group's writes go; the others' stay");
        } finally {
            loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    /** A store whose background thread never writes the deletes left for later within a test. */
    private BrokerStore openWithoutBackgroundDeletes() {
        return BrokerStore.open(dir.resolve("state"), BrokerStore.Fsync.NEVER, Duration.ofSeconds(1),
                Duration.ofHours(1));
    }

    @Test
    void deletesLeftForLaterRideAlongWithTheNextGroupThatWrites() {
        try (BrokerStore store = openWithoutBackgroundDeletes()) {
            byte[] done = BrokerStore.key("ws", "done");
            store.put(Family.DELIVERIES, done, new byte[] {1});
            store.deleteLater(Family.DELIVERIES, done, true);
            store.inGroup(() -> { }); // a group that writes nothing writes nothing of them either
            assertNotNull(store.get(Family.DELIVERIES, done));
            store.inGroup(() -> store.put(Family.RETAINED, BrokerStore.key("ws", "a"), new byte[] {1}));
            assertNull(store.get(Family.DELIVERIES, done), "written with the batch of the next group");
        }
    }

    @Test
    void deletesLeftForLaterAreWrittenInTheBackgroundWhenNoGroupComes() throws Exception {
        try (BrokerStore store = open()) {
            byte[] done = BrokerStore.key("ws", "done");
            store.put(Family.DELIVERIES, done, new byte[] {1});
            store.deleteLater(Family.DELIVERIES, done, true);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (store.get(Family.DELIVERIES, done) != null && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertNull(store.get(Family.DELIVERIES, done));
        }
    }

    @Test
    void deletesLeftForLaterAreWrittenAtClose() {
        byte[] done = BrokerStore.key("ws", "done");
        try (BrokerStore store = openWithoutBackgroundDeletes()) {
            store.put(Family.DELIVERIES, done, new byte[] {1});
            store.deleteLater(Family.DELIVERIES, done, true);
        }
        try (BrokerStore store = openWithoutBackgroundDeletes()) {
            assertNull(store.get(Family.DELIVERIES, done));
        }
    }

    @Test
    void aDeliveryCompletedBeforeItsWorkspaceIsDeletedDoesNotReleaseItsMessageTwice() {
        try (BrokerStore store = openWithoutBackgroundDeletes()) {
            Message m = message("t", "shared by two workspaces' sessions");
            long id = store.referenceMessage(m);
            assertEquals(id, store.referenceMessage(m));
            Delivery d = new Delivery(m, 1, false, List.of(), null, null);
            byte[] gone = BrokerStore.withLong(BrokerStore.key("gone", "c"), 1);
            byte[] stays = BrokerStore.withLong(BrokerStore.key("stays", "c"), 2);
            store.put(Family.DELIVERIES, gone, StoreRecords.delivery(d, id, 0, false));
            store.put(Family.DELIVERIES, stays, StoreRecords.delivery(d, id, 0, false));
            // the session of workspace "gone" completed its delivery, then the workspace was deleted
            store.deleteLater(Family.DELIVERIES, gone, true);
            store.releaseMessageLater(id);
            store.deleteWorkspace("gone");
            assertNotNull(store.message(id), "the other session still references it");
            assertNotNull(store.get(Family.DELIVERIES, stays));
        }
    }

    @Test
    void deletePrefixRemovesExactlyTheKeysOfThatPrefix() {
        try (BrokerStore store = open()) {
            byte[] c = BrokerStore.key("ws", "c");
            byte[] cc = BrokerStore.key("ws", "cc");
            for (int id : new int[] {1, 0xFF00, 0xFFFF}) {
                store.put(Family.INBOUND, ByteBuffer.allocate(c.length + 2).put(c).putShort((short) id).array(),
                        new byte[0]);
            }
            store.put(Family.INBOUND, ByteBuffer.allocate(cc.length + 2).put(cc).putShort((short) 1).array(),
                    new byte[0]);
            store.deletePrefix(Family.INBOUND, c);
            AtomicInteger left = new AtomicInteger();
            store.scan(Family.INBOUND, BrokerStore.key("ws"), (k, v) -> left.incrementAndGet());
            assertEquals(1, left.get(), "only the other client's id is left");
        }
    }

    @Test
    void aStoreOfAnotherFormatIsRefusedNamingTheDirectory() throws Exception {
        try (BrokerStore store = open()) {
            store.put(Family.RETAINED, BrokerStore.key("ws", "a"), new byte[] {1});
        }
        // what a later version would have written
        try (org.rocksdb.Options o = new org.rocksdb.Options()) {
            List<byte[]> names = org.rocksdb.RocksDB.listColumnFamilies(o, dir.resolve("state").toString());
            List<org.rocksdb.ColumnFamilyDescriptor> ds = new ArrayList<>();
            for (byte[] n : names) {
                ds.add(new org.rocksdb.ColumnFamilyDescriptor(n));
            }
            List<org.rocksdb.ColumnFamilyHandle> hs = new ArrayList<>();
            try (org.rocksdb.DBOptions dbo = new org.rocksdb.DBOptions();
                 org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(dbo, dir.resolve("state").toString(), ds, hs)) {
                db.put("format".getBytes(StandardCharsets.UTF_8), ByteBuffer.allocate(4).putInt(99).array());
                hs.forEach(org.rocksdb.ColumnFamilyHandle::close);
            }
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, this::open);
        assertTrue(e.getMessage().contains(dir.resolve("state").toString()) && e.getMessage().contains("format 99"),
                e.getMessage());
    }

    @Test
    void aDamagedStoreIsAnErrorNamingTheDirectoryNeverAnEmptyStart() throws Exception {
        try (BrokerStore store = open()) {
            store.put(Family.RETAINED, BrokerStore.key("ws", "a"), new byte[] {1});
        }
        Files.writeString(dir.resolve("state").resolve("CURRENT"), "MANIFEST-999999\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, this::open);
        assertTrue(e.getMessage().contains(dir.resolve("state").toString()), e.getMessage());
    }
}
