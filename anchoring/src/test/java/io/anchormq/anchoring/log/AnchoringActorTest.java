package io.anchormq.anchoring.log;

import static io.anchormq.anchoring.log.TestRecords.KEY;
import static io.anchormq.anchoring.log.TestRecords.ORIGIN;
import static io.anchormq.anchoring.log.TestRecords.WORKSPACE;
import static io.anchormq.anchoring.log.TestRecords.assertEntryOf;
import static io.anchormq.anchoring.log.TestRecords.record;
import static io.anchormq.anchoring.log.TestRecords.verifiedCheckpoint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.proof.TlogProof;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The actor in a real actor system, on the blocking dispatcher, over a real log on disk. */
class AnchoringActorTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final long WAIT_SECONDS = 60;

    @TempDir
    Path dir;

    private WorkspaceLog log;
    private final List<AppendedBatch> batches = new CopyOnWriteArrayList<>();
    private AppendBacklog backlog;
    private final List<ActorRef<AnchoringActor.Command>> actors = new ArrayList<>();

    @BeforeEach
    void openLog() throws IOException {
        log = WorkspaceLog.open(dir, WORKSPACE, ORIGIN, List.of(KEY));
        backlog = new AppendBacklog(log);
    }

    @AfterEach
    void closeLog() {
        actors.forEach(actor -> testKit.stop(actor, Duration.ofSeconds(WAIT_SECONDS))); // stopped before its log
        log.close();
    }

    @AfterAll
    static void stopActorSystem() {
        testKit.shutdownTestKit();
    }

    @Test
    void appendsFromSeveralThreadsGetConsecutiveIndexesAndVerifiableProofs() throws Exception {
        ActorRef<AnchoringActor.Command> actor = spawn(AnchoringActor.Batching.DEFAULT);
        int threads = 4;
        int perThread = 5000;
        List<List<CompletableFuture<Appended>>> sent = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<CompletableFuture<Appended>> futures = new ArrayList<>();
            sent.add(futures);
            int thread = t;
            senders.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    futures.add(backlog.send(actor, record((long) thread * perThread + i)));
                }
            }));
        }
        senders.forEach(Thread::start);
        for (Thread sender : senders) {
            sender.join();
        }

        Map<Long, Long> recordByIndex = new HashMap<>();
        for (int t = 0; t < threads; t++) {
            long previous = -1;
            for (int i = 0; i < perThread; i++) {
                Appended appended = sent.get(t).get(i).get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals(WORKSPACE, appended.workspace());
                assertTrue(appended.index() > previous, "one sender's appends are logged in the order sent");
                previous = appended.index();
                assertEquals(null, recordByIndex.put(appended.index(), (long) t * perThread + i),
                        "index " + appended.index() + " given twice");
            }
        }
        int total = threads * perThread;
        assertEquals(total, recordByIndex.size());
        assertEquals(0, recordByIndex.keySet().stream().mapToLong(Long::longValue).min().orElseThrow());
        assertEquals(total - 1, recordByIndex.keySet().stream().mapToLong(Long::longValue).max().orElseThrow());
        assertEquals(total, log.size());
        assertEquals(0, backlog.size());

        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i += 7) {
                Appended appended = sent.get(t).get(i).get();
                long index = appended.index();
                assertEntryOf(record(recordByIndex.get(index)), index, log.entry(index));
                assertArrayEquals(log.entry(index).leafHash(), appended.leafHash().bytes());
                // the checkpoint the future carries is signed, covers the entry, and its root is proven
                Checkpoint checkpoint = verifiedCheckpoint(appended.checkpoint(), log.verifiers());
                assertTrue(checkpoint.size() > index);
                TlogProof proof = log.proof(index, checkpoint.size());
                assertEquals(appended.checkpoint(), proof.checkpointNote().format());
                ProofVerifier.verifyInclusion(appended.leafHash().bytes(), index, checkpoint.size(),
                        proof.inclusionProof(), checkpoint.root());
            }
        }

        // the listener heard every batch once, in order
        awaitBatches(1);
        testKit.stop(actor, Duration.ofSeconds(WAIT_SECONDS)); // so that its last listener call is done
        long next = 0;
        for (AppendedBatch batch : batches) {
            assertEquals(next, batch.firstIndex());
            assertTrue(batch.leafHashes().size() <= AnchoringActor.Batching.DEFAULT.maxEntries());
            next = batch.size();
        }
        assertEquals(total, next);
        System.out.println(total + " appends in " + batches.size() + " batches");
    }

    @Test
    void aFewAppendsAreLoggedOnceTheBatchIsOldEnough() throws Exception {
        Duration maxAge = Duration.ofMillis(300);
        ActorRef<AnchoringActor.Command> actor = spawn(new AnchoringActor.Batching(1000, maxAge));
        long start = System.nanoTime();
        List<CompletableFuture<Appended>> futures = List.of(backlog.send(actor, record(0)),
                backlog.send(actor, record(1)), backlog.send(actor, record(2)));
        for (int i = 0; i < 3; i++) {
            assertEquals(i, futures.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS).index());
        }
        assertTrue(System.nanoTime() - start >= maxAge.toNanos(), "not before the batch's age");
        awaitBatches(1);
        assertEquals(1, batches.size(), "three appends, far below the size limit: one batch, closed by age");
        assertEquals(3, batches.get(0).size());

        CompletableFuture<Appended> later = backlog.send(actor, record(3));
        assertEquals(3, later.get(WAIT_SECONDS, TimeUnit.SECONDS).index());
        awaitBatches(2);
        assertEquals(2, batches.size(), "the age counts from a batch's first append");
    }

    @Test
    void fullBatchesAreLoggedAtOnceAndStopLogsTheRest() throws Exception {
        ActorRef<AnchoringActor.Command> actor = spawn(new AnchoringActor.Batching(10, Duration.ofHours(1)));
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            futures.add(backlog.send(actor, record(i)));
        }
        for (int i = 0; i < 20; i++) {
            assertEquals(i, futures.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS).index());
        }
        awaitBatches(2); // the listener is called after the futures are completed
        assertEquals(List.of(10L, 20L), batches.stream().map(AppendedBatch::size).toList());
        assertFalse(futures.get(20).isDone(), "an open batch waits for its age (an hour) or for more appends");
        assertEquals(5, backlog.size());

        TestProbe<Object> probe = testKit.createTestProbe();
        actor.tell(new AnchoringActor.Stop());
        for (int i = 20; i < 25; i++) {
            assertEquals(i, futures.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS).index());
        }
        probe.expectTerminated(actor, Duration.ofSeconds(WAIT_SECONDS));
        awaitBatches(3);
        assertEquals(List.of(10L, 20L, 25L), batches.stream().map(AppendedBatch::size).toList());
        assertEquals(25, log.size());
    }

    @Test
    void anActorStoppedFromOutsideLogsWhatItHolds() throws Exception {
        ActorRef<AnchoringActor.Command> actor = spawn(new AnchoringActor.Batching(100, Duration.ofHours(1)));
        List<CompletableFuture<Appended>> futures = List.of(backlog.send(actor, record(0)),
                backlog.send(actor, record(1)));
        // a record refused on arrival: once it failed, the two before it are in the open batch, not the mailbox
        // (a stop overtakes what is still in the mailbox)
        CompletableFuture<Appended> marker = backlog.send(actor, new LogRecord("\ud800", "t", 0, new byte[32],
                Instant.EPOCH));
        assertThrows(ExecutionException.class, () -> marker.get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(futures.get(1).isDone());
        testKit.stop(actor, Duration.ofSeconds(WAIT_SECONDS));
        assertEquals(List.of(0L, 1L), List.of(futures.get(0).get(WAIT_SECONDS, TimeUnit.SECONDS).index(),
                futures.get(1).get(WAIT_SECONDS, TimeUnit.SECONDS).index()));
        assertEquals(2, log.size());
    }

    @Test
    void aRecordThatCannotBeAnEntryFailsOnlyItself() throws Exception {
        ActorRef<AnchoringActor.Command> actor = spawn(new AnchoringActor.Batching(3, Duration.ofHours(1)));
        LogRecord tooLong = new LogRecord("c", "t/" + "x".repeat(70_000), 0, new byte[32], Instant.EPOCH);
        CompletableFuture<Appended> first = backlog.send(actor, record(0));
        CompletableFuture<Appended> refused = backlog.send(actor, tooLong);
        CompletableFuture<Appended> second = backlog.send(actor, record(1));
        CompletableFuture<Appended> third = backlog.send(actor, record(2));
        ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(WAIT_SECONDS,
                TimeUnit.SECONDS));
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals(List.of(0L, 1L, 2L), List.of(first.get(WAIT_SECONDS, TimeUnit.SECONDS).index(),
                second.get(WAIT_SECONDS, TimeUnit.SECONDS).index(), third.get(WAIT_SECONDS, TimeUnit.SECONDS).index()));
    }

    @Test
    void aFailedBatchFailsItsAppendsAndTheActorGoesOn() throws Exception {
        ActorRef<AnchoringActor.Command> actor = spawn(new AnchoringActor.Batching(128, Duration.ofHours(1)));
        List<CompletableFuture<Appended>> first = sendRecords(actor, 0, 128);
        assertEquals(127, first.get(127).get(WAIT_SECONDS, TimeUnit.SECONDS).index());
        // the next batch completes entry bundle 0, which cannot be written while a directory stands in its place
        Path bundle = dir.resolve("tile/entries/000");
        Files.createDirectories(bundle.resolve("in-the-way"));

        for (CompletableFuture<Appended> future : sendRecords(actor, 128, 256)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> future.get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
        }
        assertEquals(128, log.size());

        Files.delete(bundle.resolve("in-the-way"));
        Files.delete(bundle);
        List<CompletableFuture<Appended>> after = sendRecords(actor, 256, 384);
        Appended last = after.get(127).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(255, last.index(), "the failed batch left no entries behind");
        assertEntryOf(record(383), 255, log.entry(255));
        assertArrayEquals(Rfc9162.leafHash(log.entry(255).encode()), last.leafHash().bytes());
        assertEquals(0, backlog.size());
    }

    private List<CompletableFuture<Appended>> sendRecords(ActorRef<AnchoringActor.Command> actor, int from, int to) {
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = from; i < to; i++) {
            futures.add(backlog.send(actor, record(i)));
        }
        return futures;
    }

    private void awaitBatches(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (batches.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(batches.size() >= count, "the listener heard " + batches.size() + " batches, not " + count);
    }

    @Test
    void aLimitedBacklogIsFullAtItsLimitAndHasRoomAgainAtHalf() throws Exception {
        AppendBacklog limited = new AppendBacklog(log, 4);
        ActorRef<AnchoringActor.Command> actor = spawn(limited, new AnchoringActor.Batching(100, Duration.ofHours(1)));
        CountDownLatch room = new CountDownLatch(1);
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(limited.send(actor, record(i)));
        }
        assertFalse(limited.isFull(), "3 of 4");
        limited.whenRoomAgain(room::countDown);
        futures.add(limited.send(actor, record(3)));
        assertTrue(limited.isFull(), "4 of 4, none logged: the batch stays open for an hour");
        assertEquals(1, room.getCount(), "no room before half of them are done");

        actor.tell(new AnchoringActor.Stop()); // appends the open batch
        for (CompletableFuture<Appended> f : futures) {
            f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        assertTrue(room.await(WAIT_SECONDS, TimeUnit.SECONDS), "woken once the batch was logged");
        assertEquals(0, limited.size());
        assertFalse(limited.isFull());
    }

    private ActorRef<AnchoringActor.Command> spawn(AnchoringActor.Batching batching) {
        return spawn(backlog, batching);
    }

    private ActorRef<AnchoringActor.Command> spawn(AppendBacklog inbox, AnchoringActor.Batching batching) {
        // blocking file I/O: never on the default dispatcher
        ActorRef<AnchoringActor.Command> actor = testKit.spawn(AnchoringActor.create(inbox, batching, batches::add),
                "anchoring-" + actors.size(), DispatcherSelector.blocking());
        actors.add(actor);
        return actor;
    }
}
