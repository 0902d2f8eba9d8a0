package io.anchormq.anchoring.log;

import static io.anchormq.anchoring.log.TestRecords.KEY;
import static io.anchormq.anchoring.log.TestRecords.ORIGIN;
import static io.anchormq.anchoring.log.TestRecords.WORKSPACE;
import static io.anchormq.anchoring.log.TestRecords.assertEntryOf;
import static io.anchormq.anchoring.log.TestRecords.assertVerifies;
import static io.anchormq.anchoring.log.TestRecords.payloadSha256;
import static io.anchormq.anchoring.log.TestRecords.record;
import static io.anchormq.anchoring.log.TestRecords.records;
import static io.anchormq.anchoring.log.TestRecords.verifiedCheckpoint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteSigner;
import io.anchormq.anchoring.note.SignedNote;
import io.anchormq.anchoring.proof.TlogProof;
import io.anchormq.anchoring.tiles.CorruptLogException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceLogTest {

    @TempDir
    Path dir;

    @Test
    void appendedEntriesAreReadBackProvenAndSigned() throws Exception {
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(0, log.size());
            assertEquals(0, verifiedCheckpoint(log.checkpoint(), log.verifiers()).size());
            assertEquals(log.checkpoint(), Files.readString(dir.resolve("checkpoint")), "a new log has a checkpoint");

            long[] sizes = {1, 301, 1301};
            long from = 0;
            for (long size : sizes) {
                AppendedBatch batch = log.append(records(from, size));
                assertEquals(from, batch.firstIndex());
                assertEquals(size, batch.size());
                assertEquals(size, log.size());
                assertEquals(batch.checkpoint(), log.checkpoint());
                long published = verifiedCheckpoint(Files.readString(dir.resolve("checkpoint")), log.verifiers())
                        .size();
                assertTrue(published <= size, "the checkpoint file may lag the latest checkpoint, never lead it");
                Checkpoint checkpoint = verifiedCheckpoint(batch.checkpoint(), List.of(KEY.verifier()));
                assertEquals(new Checkpoint(ORIGIN, size, batch.root()), checkpoint);
                for (long i = from; i < size; i++) {
                    LogEntry entry = log.entry(i);
                    assertEntryOf(record(i), i, entry);
                    assertArrayEquals(entry.leafHash(), batch.leafHashes().get((int) (i - from)));
                }
                from = size;
            }

            awaitPublished(log);

            Set<String> salts = new HashSet<>();
            for (long i = 0; i < log.size(); i++) {
                salts.add(new String(log.entry(i).salt(), StandardCharsets.ISO_8859_1));
                TlogProof proof = log.proof(i);
                assertEquals(1301, assertVerifies(proof, log.verifiers()).size());
                assertArrayEquals(log.entry(i).encode(), proof.extra().orElseThrow());
            }
            assertEquals(1301, salts.size(), "every entry has a salt of its own");

            // earlier checkpoints are signed on demand and consistent with the latest
            Checkpoint latest = verifiedCheckpoint(log.checkpoint(), log.verifiers());
            for (long old : new long[] {0, 1, 300, 301, 1000, 1301}) {
                Checkpoint older = verifiedCheckpoint(log.checkpoint(old), log.verifiers());
                assertEquals(old, older.size());
                ProofVerifier.verifyConsistency(old, latest.size(), log.consistencyProof(old, latest.size()),
                        older.root(), latest.root());
                if (old > 0) {
                    TlogProof proof = log.proof(old - 1, old);
                    assertEquals(older, assertVerifies(proof, log.verifiers()));
                }
            }
            assertEquals(log.checkpoint(), log.checkpoint(1301));
            assertEquals(log.checkpoint(301), log.checkpoint(301), "Ed25519 signs deterministically");

            assertThrows(IllegalArgumentException.class, () -> log.entry(1301));
            assertThrows(IllegalArgumentException.class, () -> log.proof(1301));
            assertThrows(IllegalArgumentException.class, () -> log.proof(5, 5));
            assertThrows(IllegalArgumentException.class, () -> log.proof(5, 1302));
            assertThrows(IllegalArgumentException.class, () -> log.checkpoint(1302));
            assertThrows(IllegalArgumentException.class, () -> log.consistencyProof(10, 9));
            assertThrows(IllegalArgumentException.class, () -> log.consistencyProof(10, 1302));
        }
    }

    @Test
    void aReopenedLogHoldsTheSameAndContinues() throws Exception {
        String checkpoint;
        List<byte[]> leaves = new ArrayList<>();
        try (WorkspaceLog log = open(KEY)) {
            leaves.addAll(log.append(records(0, 500)).leafHashes());
            checkpoint = log.checkpoint();
        }
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(500, log.size());
            assertEquals(checkpoint, log.checkpoint());
            for (int i = 0; i < 500; i++) {
                assertArrayEquals(leaves.get(i), log.entry(i).leafHash());
            }
            AppendedBatch more = log.append(records(500, 600));
            assertEquals(500, more.firstIndex());
            assertEntryOf(record(599), 599, log.entry(599));
            assertEquals(List.of(123L), log.find(record(123).clientId(), record(123).topic(), payloadSha256(123)));
        }
        assertThrows(IOException.class, () -> {
            try (WorkspaceLog first = open(KEY); WorkspaceLog second = open(KEY)) {
                first.size();
                second.size();
            }
        }, "a log is opened once at a time");
    }

    @Test
    void findReturnsEveryEntryOfAMessageOldestFirst() throws Exception {
        LogRecord message = new LogRecord("sensor-1", "plant/line1/temp", 1, payloadSha256(-1),
                Instant.parse("2024-06-01T12:00:00Z"));
        LogRecord redelivered = new LogRecord("sensor-1", "plant/line1/temp", 1, payloadSha256(-1),
                Instant.parse("2024-06-01T12:00:05Z"));
        try (WorkspaceLog log = open(KEY)) {
            log.append(records(0, 100));
            log.append(List.of(message));
            log.append(records(100, 3000));
            log.append(List.of(redelivered, record(3000)));
            assertEquals(List.of(100L, 3001L), find(log, message));
            // one field off: not the message
            assertEquals(List.of(), log.find("sensor-2", message.topic(), message.payloadSha256()));
            assertEquals(List.of(), log.find(message.clientId(), "plant/line2/temp", message.payloadSha256()));
            assertEquals(List.of(), log.find(message.clientId(), message.topic(), payloadSha256(-2)));
            assertEquals(List.of(), log.find("\ud800", message.topic(), message.payloadSha256()));
            for (long i = 0; i < 3001; i += 97) {
                long index = i < 100 ? i : i < 3000 ? i + 1 : 3002;
                assertEquals(List.of(index), find(log, record(i)), "record " + i);
            }
        }
        // from the keys file
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(List.of(100L, 3001L), find(log, message));
            assertEquals(List.of(2001L), find(log, record(2000)));
        }
        // without it: every key recomputed from the bundles
        Files.delete(dir.resolve(".anchormq/lookup-keys"));
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(List.of(100L, 3001L), find(log, message));
            assertEquals(List.of(2001L), find(log, record(2000)));
        }
        // a header that is not this tree's (one bit of its root flipped): recomputed as well
        flipByte(dir.resolve(".anchormq/lookup-keys"), 40);
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(List.of(100L, 3001L), find(log, message));
        }
    }

    @Test
    void messagesWithTextsBeyondAsciiAreEncodedAndFoundLikeAnyOther() throws Exception {
        // the writer encodes entries and their lookup keys without the UTF-8 arrays that lookups use
        LogRecord accented = new LogRecord("capteur-é", "usine/ligne1/température", 1, payloadSha256(-3),
                Instant.parse("2024-06-01T12:00:00Z"));
        LogRecord emoji = new LogRecord("device-😀", "plant/€/temp", 2, payloadSha256(-4),
                Instant.parse("2024-06-01T12:00:01Z"));
        try (WorkspaceLog log = open(KEY)) {
            log.append(List.of(record(0), accented, emoji));
            assertEquals(List.of(1L), find(log, accented));
            assertEquals(List.of(2L), find(log, emoji));
            LogEntry entry = log.entry(1);
            assertEquals("capteur-é", entry.clientId());
            assertEquals("usine/ligne1/température", entry.topic());
            assertEquals(1, entry.sequence());
        }
    }

    @Test
    void candidatesOfAKeyAreConfirmedByTheirEntries() throws Exception {
        try (WorkspaceLog log = open(KEY)) {
            log.append(records(0, 1000));
        }
        // Make entry 10's stored key that of entry 20, as a hash collision would (the header stays valid).
        Path keys = dir.resolve(".anchormq/lookup-keys");
        try (FileChannel channel = FileChannel.open(keys, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer key = ByteBuffer.allocate(8);
            channel.read(key, 64 + 8 * 20);
            channel.write(key.flip(), 64 + 8 * 10);
        }
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(List.of(20L), find(log, record(20)), "entry 10 is a candidate, but not the message");
            assertEquals(List.of(), find(log, record(10)), "a damaged cache misses; it never finds wrongly");
        }
    }

    @Test
    void lookupsStayCompleteAsTheTableGrows() throws Exception {
        int total = 120_000; // from 1024 slots, through several background growths
        try (WorkspaceLog log = open(KEY)) {
            for (int from = 0; from < total; from += 1000) {
                log.append(records(from, from + 1000));
                if (from % 10_000 == 0) {
                    for (long i = 0; i <= from; i += 997) {
                        assertEquals(List.of(i), find(log, record(i)), "record " + i + " at size " + log.size());
                    }
                }
            }
            for (long i = 0; i < total; i += 13) { // a stride that lands in every batch
                assertEquals(List.of(i), find(log, record(i)), "record " + i);
            }
        }
    }

    @Test
    void aMessageRepeatedThousandsOfTimesIsFoundEveryTime() throws Exception {
        // A device repeating an unchanged reading: every fourth entry is the same message, among new ones.
        LogRecord unchanged = new LogRecord("sensor-9", "plant/line1/state", 0, payloadSha256(-9),
                Instant.parse("2024-06-01T12:00:00Z"));
        List<Long> expected = new ArrayList<>();
        try (WorkspaceLog log = open(KEY)) {
            for (int batch = 0; batch < 10; batch++) { // 7,500 keys: through several growths of the table
                List<LogRecord> records = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    long index = log.size() + i;
                    if (index % 4 == 0) {
                        records.add(unchanged);
                        expected.add(index);
                    } else {
                        records.add(record(index));
                    }
                }
                log.append(records);
            }
            assertEquals(expected, find(log, unchanged));
            assertEquals(List.of(9_999L), find(log, record(9_999)));
        }
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(expected, find(log, unchanged));
            assertEquals(List.of(1L), find(log, record(1)));
        }
        // a log where nearly every entry repeats one message: its table is built again, with fewer slots, on open
        try (WorkspaceLog log = open(KEY)) {
            for (int batch = 0; batch < 25; batch++) { // 35,000 entries, 7,501 keys
                long first = log.size();
                log.append(Collections.nCopies(1000, unchanged));
                LongStream.range(first, first + 1000).forEach(expected::add);
            }
        }
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(expected, find(log, unchanged));
            assertEquals(List.of(9_999L), find(log, record(9_999)));
            log.append(List.of(record(35_000), unchanged));
            expected.add(35_001L);
            assertEquals(expected, find(log, unchanged));
            assertEquals(List.of(35_000L), find(log, record(35_000)));
        }
    }

    @Test
    void readersSeeConsistentCheckpointsWhileTheWriterAppends() throws Exception {
        try (WorkspaceLog log = open(KEY)) {
            log.append(records(0, 10));
            AtomicBoolean writing = new AtomicBoolean(true);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread reader = new Thread(() -> {
                    try {
                        while (writing.get()) {
                            Checkpoint seen = verifiedCheckpoint(log.checkpoint(), log.verifiers());
                            long index = (seen.size() * 7919) % seen.size();
                            assertTrue(assertVerifies(log.proof(index), log.verifiers()).size() >= seen.size());
                            assertEquals(List.of(index), find(log, record(index)));
                            Checkpoint later = verifiedCheckpoint(log.checkpoint(), log.verifiers());
                            ProofVerifier.verifyConsistency(seen.size(), later.size(),
                                    log.consistencyProof(seen.size(), later.size()), seen.root(), later.root());
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                reader.start();
                readers.add(reader);
            }
            for (int from = 10; from < 20_000; from += 250) {
                log.append(records(from, from + 250));
            }
            writing.set(false);
            for (Thread reader : readers) {
                reader.join();
            }
            assertEquals(List.of(), List.copyOf(failures));
        }
    }

    @Test
    void keysRotateByConfiguration() throws Exception {
        NoteSigner next = NoteSigner.ofEd25519Seed(ORIGIN, Rfc9162.sha256("next key".getBytes(StandardCharsets.UTF_8)));
        try (WorkspaceLog log = open(KEY)) {
            log.append(records(0, 10));
        }
        try (WorkspaceLog log = open(KEY, next)) {
            assertEquals(List.of(KEY.verifier(), next.verifier()), log.verifiers());
            assertEquals(2, SignedNote.parse(log.checkpoint()).signatures().size(), "re-signed on open");
            assertEquals(List.of(KEY.verifier(), next.verifier()),
                    SignedNote.parse(Files.readString(dir.resolve("checkpoint"))).verify(log.verifiers()));
            log.append(records(10, 20));
        }
        try (WorkspaceLog log = open(next)) {
            assertEquals(20, log.size());
            assertEquals(List.of(next.verifier()), SignedNote.parse(log.checkpoint()).verify(
                    List.of(KEY.verifier(), next.verifier())));
            assertVerifies(log.proof(3), List.of(next.verifier()));
        }
        // a key the stored checkpoint was never signed with is refused, as a forged checkpoint would be
        NoteSigner stranger = NoteSigner.generate(ORIGIN);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(stranger));
        assertTrue(e.getMessage().startsWith("checkpoint: rejected: no signature by any of the given keys (the note"
                + " is signed by " + next.verifier().keyLabel() + ")"), e.getMessage());
    }

    @Test
    void anotherLogsDirectoryIsRefused() throws Exception {
        try (WorkspaceLog log = open(KEY)) {
            log.append(records(0, 3));
        }
        String elsewhere = "elsewhere.test/log/" + WORKSPACE;
        NoteSigner key = NoteSigner.ofEd25519Seed(elsewhere,
                Rfc9162.sha256("test key".getBytes(StandardCharsets.UTF_8)));
        // the stored checkpoint verifies (its key is configured too) but is of another log
        CorruptLogException e = assertThrows(CorruptLogException.class,
                () -> WorkspaceLog.open(dir, WORKSPACE, elsewhere, List.of(key, KEY)));
        assertEquals("checkpoint: rejected: it is a checkpoint of " + ORIGIN + ", not of " + elsewhere,
                e.getMessage());
    }

    @Test
    void argumentsAndRecordsAreChecked() throws Exception {
        assertEquals("origin anchormq.test/log/other does not end in /default: a workspace's origin is <origin "
                + "prefix>/<workspace>, and verifiers check that", assertThrows(IllegalArgumentException.class,
                        () -> WorkspaceLog.open(dir, WORKSPACE, "anchormq.test/log/other", List.of(KEY)))
                .getMessage());
        assertThrows(IllegalArgumentException.class, () -> WorkspaceLog.open(dir, WORKSPACE, ORIGIN, List.of()));
        assertEquals("signer " + KEY.verifier().keyLabel() + " is given twice", assertThrows(
                IllegalArgumentException.class, () -> open(KEY, KEY)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LogRecord("c", "t", 3, new byte[32], Instant.EPOCH));
        assertThrows(IllegalArgumentException.class, () -> new LogRecord("c", "t", 1, new byte[31], Instant.EPOCH));

        try (WorkspaceLog log = open(KEY)) {
            log.append(records(0, 5));
            String checkpoint = log.checkpoint();
            LogRecord unpaired = new LogRecord("c", "t/\ud800", 0, new byte[32], Instant.EPOCH);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> log.append(List.of(record(5), unpaired)));
            assertEquals("record 1 of the batch: topic is not valid Unicode (an unpaired surrogate)", e.getMessage());
            LogRecord huge = new LogRecord("c", "t/" + "x".repeat(65_535), 0, new byte[32], Instant.EPOCH);
            assertThrows(IllegalArgumentException.class, () -> log.append(List.of(huge)));
            assertThrows(IllegalArgumentException.class, () -> log.check(huge));
            assertEquals(5, log.size(), "nothing of a refused batch is logged");
            assertEquals(checkpoint, log.checkpoint());
            assertEquals(5, log.append(List.of()).size());
            assertEquals(5, log.append(records(5, 6)).firstIndex());
        }
    }

    @Test
    void aFailedWriteLogsNothingAndTheLogRecoversOnceTheDiskDoes() throws Exception {
        try (WorkspaceLog log = open(KEY)) {
            log.append(records(0, 300));
            // Entry bundle 1 (entries 256..511) cannot be written while a directory stands in its place, and the
            // store cannot be reopened either: recovery cannot delete what lies beyond the checkpoint.
            Path bundle = dir.resolve("tile/entries/001");
            Files.createDirectories(bundle.resolve("in-the-way"));
            assertThrows(IOException.class, () -> log.append(records(300, 600)));
            assertEquals(300, log.size(), "the latest checkpoint is still the latest");
            assertThrows(IllegalStateException.class, () -> log.proof(0), "no store to read while it cannot open");
            assertThrows(IOException.class, () -> log.append(records(300, 600)), "tries to reopen, fails again");

            // the disk is back
            Files.delete(bundle.resolve("in-the-way"));
            Files.delete(bundle);
            AppendedBatch batch = log.append(records(300, 310));
            assertEquals(300, batch.firstIndex());
            assertEquals(310, log.size());
            assertEntryOf(record(305), 305, log.entry(305));
            assertEquals(List.of(305L), find(log, record(305)));
            assertEquals(List.of(), find(log, record(350)), "entries of the failed batch are not in the log");
            assertVerifies(log.proof(309), log.verifiers());
        }
        try (WorkspaceLog log = open(KEY)) {
            assertEquals(310, log.size());
            assertEquals(List.of(305L), find(log, record(305)));
        }
    }

    @Test
    void aClosedLogRefusesEverything() throws Exception {
        WorkspaceLog log = open(KEY);
        log.append(records(0, 2));
        log.close();
        log.close();
        assertThrows(IllegalStateException.class, log::size);
        assertThrows(IllegalStateException.class, () -> log.proof(0));
        assertThrows(IllegalStateException.class, () -> log.append(records(2, 3)));
    }

    /** The checkpoint file is published a moment after the checkpoint (see TileStore), not never. */
    private void awaitPublished(WorkspaceLog log) throws Exception {
        Path file = dir.resolve("checkpoint");
        for (int i = 0; i < 100 && !log.checkpoint().equals(Files.readString(file)); i++) {
            Thread.sleep(50);
        }
        assertEquals(log.checkpoint(), Files.readString(file), "published within 5 s");
    }

    private WorkspaceLog open(NoteSigner... signers) throws IOException {
        return WorkspaceLog.open(dir, WORKSPACE, ORIGIN, List.of(signers));
    }

    private static List<Long> find(WorkspaceLog log, LogRecord record) throws IOException {
        return log.find(record.clientId(), record.topic(), record.payloadSha256());
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            channel.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x01));
            channel.write(b.rewind(), offset);
        }
        assertNotEquals(0, Files.size(file));
    }
}
