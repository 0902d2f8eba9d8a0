package io.anchormq.anchoring.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.merkle.ProofException;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteSigner;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.note.SignedNote;
import io.anchormq.anchoring.proof.TlogProof;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Deterministic records (so a checker can regenerate what another process logged) and proof checks. */
final class TestRecords {

    static final String WORKSPACE = "default";
    static final String ORIGIN = "anchormq.test/log/" + WORKSPACE;
    /** A fixed key, so that a child process and the test sign alike. */
    static final NoteSigner KEY = NoteSigner.ofEd25519Seed(ORIGIN,
            Rfc9162.sha256("test key".getBytes(StandardCharsets.UTF_8)));
    static final Instant EPOCH = Instant.parse("2024-06-01T12:00:00Z");

    private TestRecords() {
    }

    /** Record {@code i}: a few devices and topics, so that lookups have neighbours, and a payload of its own. */
    static LogRecord record(long i) {
        return new LogRecord("device-" + i % 7, "plant/line" + i % 3 + "/temp", (int) (i % 3), payloadSha256(i),
                EPOCH.plusNanos(i * 1_000_123L)); // sub-microsecond nanos, which the entry drops
    }

    static List<LogRecord> records(long from, long to) {
        List<LogRecord> records = new ArrayList<>();
        for (long i = from; i < to; i++) {
            records.add(record(i));
        }
        return records;
    }

    static byte[] payloadSha256(long i) {
        return Rfc9162.sha256(("{\"temp\": " + i + "}").getBytes(StandardCharsets.UTF_8));
    }

    /** The entry holds the record's fields, the workspace and its index. */
    static void assertEntryOf(LogRecord record, long index, LogEntry entry) {
        assertEquals(WORKSPACE, entry.workspace());
        assertEquals(record.clientId(), entry.clientId(), "client id of entry " + index);
        assertEquals(record.topic(), entry.topic());
        assertEquals(record.qos(), entry.qos());
        assertArrayEquals(record.payloadSha256(), entry.payloadSha256(), "payload hash of entry " + index);
        assertEquals(ChronoUnit.MICROS.between(Instant.EPOCH, record.receivedAt()), entry.receivedAtMicros());
        assertEquals(index, entry.sequence());
        assertEquals(LogEntry.SALT_SIZE, entry.salt().length);
    }

    /** What an independent verifier checks: the signature, then the inclusion of the entry's leaf in the root. */
    static Checkpoint assertVerifies(TlogProof proof, List<NoteVerifier> keys)
            throws SignatureException, ProofException {
        proof.checkpointNote().verify(keys);
        Checkpoint checkpoint = proof.checkpoint();
        ProofVerifier.verifyInclusion(Rfc9162.leafHash(proof.extra().orElseThrow()), proof.index(),
                checkpoint.size(), proof.inclusionProof(), checkpoint.root());
        return checkpoint;
    }

    /** A signed checkpoint text, verified with {@code keys}. */
    static Checkpoint verifiedCheckpoint(String note, List<NoteVerifier> keys) throws SignatureException {
        SignedNote signed = SignedNote.parse(note);
        signed.verify(keys);
        return Checkpoint.parse(signed.text());
    }
}
