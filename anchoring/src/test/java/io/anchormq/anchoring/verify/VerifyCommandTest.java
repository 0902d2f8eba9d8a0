package io.anchormq.anchoring.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.merkle.InMemoryHashes;
import io.anchormq.anchoring.merkle.MerkleTree;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteSignature;
import io.anchormq.anchoring.note.NoteSigner;
import io.anchormq.anchoring.note.SignedNote;
import io.anchormq.anchoring.proof.ChainAnchor;
import io.anchormq.anchoring.proof.ConsistencyProofText;
import io.anchormq.anchoring.proof.TlogProof;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verifier run in-process on real files: a good proof verifies, any tampering is named. */
class VerifyCommandTest {

    private static final String ORIGIN = "anchormq.local/log/default";
    private static final HexFormat HEX = HexFormat.of();
    private static final int SIZE = 7;
    private static final int INDEX = 4;

    @TempDir
    Path dir;

    private final NoteSigner logKey = NoteSigner.generate(ORIGIN);
    private final List<byte[]> payloads = new ArrayList<>();
    private final List<LogEntry> entries = new ArrayList<>();
    private InMemoryHashes tree;
    private TlogProof proof;
    private Path proofFile;
    private Path payloadFile;
    private Path keyFile;
    private String out;
    private String err;

    @BeforeEach
    void writeALogAndAProof() throws IOException {
        tree = new InMemoryHashes();
        for (int i = 0; i < SIZE; i++) {
            byte[] payload = ("{\"temp\": " + (20 + i) + "}").getBytes(StandardCharsets.UTF_8);
            LogEntry entry = new LogEntry("default", "sensor-" + i, "plant/line1/temp", 1, Rfc9162.sha256(payload),
                    1_717_243_200_000_000L + i, new byte[16], i);
            payloads.add(payload);
            entries.add(entry);
            tree.append(entry.leafHash());
        }
        proof = proofOf(INDEX, SIZE);
        proofFile = write("message.tlog-proof", proof.format());
        payloadFile = dir.resolve("payload.json");
        Files.write(payloadFile, payloads.get(INDEX));
        keyFile = write("log.vkey", "# the log key\n" + logKey.verifier().format() + "\n");
    }

    @Test
    void aGoodProofVerifies() {
        assertEquals(0, verify("--payload", payloadFile.toString(), "--key", keyFile.toString()), err);
        assertEquals("", err);
        String root = Base64.getEncoder().encodeToString(MerkleTree.root(tree, SIZE));
        assertEquals(String.join("\n",
                "verified: entry 4 of anchormq.local/log/default is in the tree of size 7",
                "  root:            " + root,
                "  signed by:       " + logKey.verifier().keyLabel(),
                "  workspace:       default",
                "  client id:       sensor-4",
                "  topic:           plant/line1/temp",
                "  qos:             1",
                "  received:        2024-06-01T12:00:00.000004Z",
                "  payload SHA-256: " + HEX.formatHex(Rfc9162.sha256(payloads.get(INDEX))),
                ""), out);
    }

    @Test
    void aPayloadHashOrAKeyTextWorkAsWell() {
        String sha = HEX.formatHex(Rfc9162.sha256(payloads.get(INDEX)));
        assertEquals(0, verify("--payload-sha256", sha.toUpperCase(), "--key", logKey.verifier().format(),
                "--origin", ORIGIN), err);
        NoteSigner stranger = NoteSigner.generate("someone.else/log");
        assertEquals(0, verify("--payload-sha256", sha, "--key", stranger.verifier().format(), "--key",
                logKey.verifier().format()), err);
    }

    @Test
    void aFlippedBitInThePayloadIsNamed() throws IOException {
        byte[] payload = payloads.get(INDEX).clone();
        payload[3] ^= 0x01;
        Files.write(payloadFile, payload);
        assertFails("payload does not match the entry: SHA-256 is " + HEX.formatHex(Rfc9162.sha256(payload))
                + ", the entry says " + HEX.formatHex(entries.get(INDEX).payloadSha256()),
                "--payload", payloadFile.toString());
    }

    @Test
    void aFlippedBitInTheEntryIsNamed() throws IOException {
        byte[] extra = proof.extra().orElseThrow();
        // a bit in the client id: still an entry, no longer the one in the tree
        byte[] renamed = extra.clone();
        renamed[1 + 2 + 7 + 2 + 7] ^= 0x01; // "sensor-4" -> "sensor-5"
        writeProof(new TlogProof(renamed, INDEX, proof.inclusionProof(), proof.checkpointNote()));
        byte[] computed = rootFrom(renamed, proof.inclusionProof());
        assertFails("inclusion proof does not lead to the checkpoint root: computed " + b64(computed)
                + ", checkpoint says " + b64(MerkleTree.root(tree, SIZE)), "--payload", payloadFile.toString());
        assertEquals("sensor-5", LogEntry.decode(renamed).clientId());

        // a bit in the entry's payload hash
        byte[] rehashed = extra.clone();
        rehashed[rehashed.length - 8 - 16 - 8 - 1] ^= 0x40;
        writeProof(new TlogProof(rehashed, INDEX, proof.inclusionProof(), proof.checkpointNote()));
        assertFails("payload does not match the entry: SHA-256 is " + HEX.formatHex(Rfc9162.sha256(payloads.get(INDEX)))
                + ", the entry says " + HEX.formatHex(LogEntry.decode(rehashed).payloadSha256()),
                "--payload", payloadFile.toString());

        // a bit in the version byte
        byte[] version = extra.clone();
        version[0] ^= 0x02;
        writeProof(new TlogProof(version, INDEX, proof.inclusionProof(), proof.checkpointNote()));
        assertFails("the proof's extra data is not a log entry: unknown entry version 0x03 (this build reads version"
                + " 0x01)", "--payload", payloadFile.toString());
    }

    @Test
    void aFlippedBitInAProofHashIsNamed() throws IOException {
        List<byte[]> hashes = proof.inclusionProof();
        for (int i = 0; i < hashes.size(); i++) {
            List<byte[]> flipped = new ArrayList<>(hashes);
            byte[] h = hashes.get(i).clone();
            h[17] ^= 0x20;
            flipped.set(i, h);
            writeProof(new TlogProof(proof.extra().orElseThrow(), INDEX, flipped, proof.checkpointNote()));
            assertFails("inclusion proof does not lead to the checkpoint root: computed "
                    + b64(rootFrom(proof.extra().orElseThrow(), flipped)) + ", checkpoint says "
                    + b64(MerkleTree.root(tree, SIZE)), "--payload", payloadFile.toString());
        }
        writeProof(new TlogProof(proof.extra().orElseThrow(), INDEX, hashes.subList(0, 2), proof.checkpointNote()));
        assertFails("inclusion proof does not fit the checkpoint: inclusion proof has 2 hashes; the leaf at index 4 of"
                + " a tree of size 7 needs 3", "--payload", payloadFile.toString());
    }

    @Test
    void aFlippedBitInTheCheckpointTextIsNamed() throws IOException {
        String text = proof.format();
        // tree size 7 -> 6 ('7' and '6' differ in one bit)
        Files.writeString(proofFile, text.replace("\n" + ORIGIN + "\n7\n", "\n" + ORIGIN + "\n6\n"));
        assertFails("checkpoint: signature by key " + logKey.verifier().keyLabel() + " does not verify",
                "--payload", payloadFile.toString());
        // a bit in the origin
        Files.writeString(proofFile, text.replace("\n" + ORIGIN + "\n7\n", "\nanchormq.local/log/defaulu\n7\n"));
        assertFails("checkpoint: signature by key " + logKey.verifier().keyLabel() + " does not verify",
                "--payload", payloadFile.toString());
    }

    @Test
    void aFlippedBitInTheSignatureIsNamed() throws IOException {
        NoteSignature good = proof.checkpointNote().signatures().get(0);
        byte[] bad = good.signature();
        bad[40] ^= 0x04;
        SignedNote tampered = SignedNote.parse(proof.checkpointNote().text() + "\n"
                + new NoteSignature(good.keyName(), good.keyId(), bad).format());
        writeProof(new TlogProof(proof.extra().orElseThrow(), INDEX, proof.inclusionProof(), tampered));
        assertFails("checkpoint: signature by key " + logKey.verifier().keyLabel() + " does not verify",
                "--payload", payloadFile.toString());

        // a bit in the key id makes it some other key's line: then no trusted key signed
        SignedNote otherId = SignedNote.parse(proof.checkpointNote().text() + "\n"
                + new NoteSignature(good.keyName(), good.keyId() ^ 1, good.signature()).format());
        writeProof(new TlogProof(proof.extra().orElseThrow(), INDEX, proof.inclusionProof(), otherId));
        assertFails("checkpoint: no signature by any of the given keys (the note is signed by " + ORIGIN + "+"
                + String.format("%08x", good.keyId() ^ 1) + ")", "--payload", payloadFile.toString());
    }

    @Test
    void untrustedKeysWrongOriginsAndWrongIndexesAreNamed() throws IOException {
        NoteSigner stranger = NoteSigner.generate(ORIGIN);
        assertEquals(1, run("verify", "--proof", proofFile.toString(), "--payload", payloadFile.toString(),
                "--key", stranger.verifier().format()));
        assertEquals("verification failed: checkpoint: no signature by any of the given keys (the note is signed by "
                + logKey.verifier().keyLabel() + ")\n", err);

        assertFails("checkpoint is of the log " + ORIGIN + ", not of anchormq.local/log/other",
                "--payload", payloadFile.toString(), "--origin", "anchormq.local/log/other");

        Files.writeString(proofFile, proof.format().replace("\nindex 4\n", "\nindex 5\n"));
        assertFails("the entry is number 4 of its log, but the proof is for leaf index 5",
                "--payload", payloadFile.toString());

        NoteSigner otherLog = NoteSigner.generate("anchormq.local/log/other");
        SignedNote otherCheckpoint = SignedNote.sign(new Checkpoint("anchormq.local/log/other", SIZE,
                MerkleTree.root(tree, SIZE)).format(), otherLog);
        writeProof(new TlogProof(proof.extra().orElseThrow(), INDEX, proof.inclusionProof(), otherCheckpoint));
        assertEquals(1, run("verify", "--proof", proofFile.toString(), "--payload", payloadFile.toString(),
                "--key", otherLog.verifier().format()));
        assertEquals("verification failed: the entry is of workspace default, but the checkpoint is of the log "
                + "anchormq.local/log/other\n", err);
    }

    @Test
    void reportsAnchorLinesWithoutClaimingToHaveCheckedThem() throws IOException {
        byte[] contract = HEX.parseHex("e78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab");
        byte[] tx = HEX.parseHex("5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060");
        writeProof(proof.withAnchor(new ChainAnchor(1337, contract, tx, 42, 7)));
        assertEquals(0, verify("--payload", payloadFile.toString(), "--key", keyFile.toString()), err);
        assertTrue(out.endsWith("  anchor:          chain 1337, contract 0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab,"
                + " tx 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060, block 42, log index 7"
                + " (not checked against a chain)\n"), out);
    }

    @Test
    void malformedProofFilesFailVerification() throws IOException {
        Files.writeString(proofFile, proof.format().replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v0"));
        assertFails("proof file does not parse: proof line 1 is \"c2sp.org/tlog-proof@v0\", not the header "
                + "c2sp.org/tlog-proof@v1", "--payload", payloadFile.toString());
        writeProof(new TlogProof(null, INDEX, proof.inclusionProof(), proof.checkpointNote()));
        assertFails("the proof has no extra line, so no log entry to check", "--payload", payloadFile.toString());
    }

    @Test
    void unusableInputExitsWithTwo() throws IOException {
        Path missing = dir.resolve("missing.tlog-proof");
        assertEquals(2, run("verify", "--proof", missing.toString(), "--payload", payloadFile.toString(),
                "--key", keyFile.toString()));
        assertEquals("cannot read --proof " + missing + ": no such file\n", err);

        assertEquals(2, run("verify", "--proof", proofFile.toString(), "--payload", dir.toString(),
                "--key", keyFile.toString()));
        assertEquals("cannot read --payload " + dir + ": it is a directory\n", err);

        assertEquals(2, verify("--payload", payloadFile.toString(), "--key", "PeterNeumann+c74f20a3+AAAA"));
        assertEquals("--key PeterNeumann+c74f20a3+AAAA is neither a file nor a verifier key: verifier key is not an"
                + " Ed25519 key (0x01 and 32 bytes): 3 bytes, type 0x00\n", err);

        Path badKeys = write("bad.vkey", logKey.verifier().format() + "\nnot a key\n");
        assertEquals(2, verify("--payload", payloadFile.toString(), "--key", badKeys.toString()));
        assertEquals("--key " + badKeys + " line 2: a verifier key has the form <name>+<key id>+<key>\n", err);

        assertEquals(2, verify("--payload-sha256", "abc", "--key", keyFile.toString()));
        assertEquals("--payload-sha256 must be 64 hex digits, not abc\n", err);

        // picocli's own usage errors
        assertEquals(2, verify("--key", keyFile.toString()));
        assertTrue(err.startsWith("Error: Missing required argument (specify one of these): (--payload=FILE |"),
                err);
        assertEquals(2, verify("--payload", payloadFile.toString(), "--payload-sha256", "00".repeat(32), "--key",
                keyFile.toString()));
        assertTrue(err.contains("mutually exclusive"), err);
        assertEquals(2, run("verify", "--proof", proofFile.toString(), "--payload", payloadFile.toString()));
        assertTrue(err.startsWith("Missing required option: '--key=VKEY_OR_FILE'"), err);
        assertEquals(2, run());
        assertTrue(err.startsWith("name a subcommand: verify or consistency"), err);
    }

    @Test
    void consistencyBetweenTwoCheckpoints() throws IOException {
        Path oldCheckpoint = write("old.checkpoint", checkpointNote(3).format());
        Path newCheckpoint = write("new.checkpoint", checkpointNote(SIZE).format());
        Path consistency = write("3-7.proof", ConsistencyProofText.format(MerkleTree.consistencyProof(tree, 3, SIZE)));
        assertEquals(0, consistency("--old", oldCheckpoint, "--new", newCheckpoint, "--proof", consistency), err);
        assertEquals("verified: in " + ORIGIN + ", the tree of size 7 extends the tree of size 3\n", out);

        // a .tlog-proof stands for its checkpoint
        assertEquals(0, consistency("--old", oldCheckpoint, "--new", proofFile, "--proof", consistency), err);

        assertEquals(1, consistency("--old", newCheckpoint, "--new", oldCheckpoint, "--proof", consistency));
        assertEquals("verification failed: old tree size 7 is larger than new tree size 3\n", err);

        List<byte[]> hashes = MerkleTree.consistencyProof(tree, 3, SIZE);
        byte[] h = hashes.get(1).clone();
        h[0] ^= 1;
        List<byte[]> flipped = new ArrayList<>(hashes);
        flipped.set(1, h);
        Files.writeString(consistency, ConsistencyProofText.format(flipped));
        assertEquals(1, consistency("--old", oldCheckpoint, "--new", newCheckpoint, "--proof", consistency));
        assertTrue(err.startsWith("verification failed: consistency proof leads to new root "), err);

        Files.writeString(consistency, "not base64\n");
        assertEquals(1, consistency("--old", oldCheckpoint, "--new", newCheckpoint, "--proof", consistency));
        assertEquals("verification failed: consistency proof file does not parse: consistency proof line 1: hash is"
                + " not base64: \"not base64\"\n", err);

        Files.writeString(newCheckpoint, checkpointNote(SIZE).format().replace("\n7\n", "\n6\n"));
        assertEquals(1, consistency("--old", oldCheckpoint, "--new", newCheckpoint, "--proof", consistency));
        assertEquals("verification failed: new checkpoint: signature by key " + logKey.verifier().keyLabel()
                + " does not verify\n", err);

        NoteSigner otherLog = NoteSigner.generate("anchormq.local/log/other");
        Files.writeString(newCheckpoint, SignedNote.sign(new Checkpoint("anchormq.local/log/other", SIZE,
                MerkleTree.root(tree, SIZE)).format(), otherLog).format());
        assertEquals(1, run("consistency", "--old", oldCheckpoint.toString(), "--new", newCheckpoint.toString(),
                "--proof", consistency.toString(), "--key", keyFile.toString(), "--key",
                otherLog.verifier().format()));
        assertEquals("verification failed: the checkpoints are of different logs: old " + ORIGIN
                + ", new anchormq.local/log/other\n", err);

        Files.writeString(newCheckpoint, "hello\n");
        assertEquals(1, consistency("--old", oldCheckpoint, "--new", newCheckpoint, "--proof", consistency));
        assertEquals("verification failed: --new " + newCheckpoint + " does not parse: note has no blank line before"
                + " its signatures\n", err);
    }

    private TlogProof proofOf(int index, int size) {
        return new TlogProof(entries.get(index).encode(), index, MerkleTree.inclusionProof(tree, index, size),
                checkpointNote(size));
    }

    private SignedNote checkpointNote(int size) {
        return SignedNote.sign(new Checkpoint(ORIGIN, size, MerkleTree.root(tree, size)).format(), logKey);
    }

    private byte[] rootFrom(byte[] extra, List<byte[]> hashes) {
        try {
            return ProofVerifier.rootFromInclusionProof(Rfc9162.leafHash(extra), INDEX, SIZE, hashes);
        } catch (io.anchormq.anchoring.merkle.ProofException e) {
            throw new AssertionError(e);
        }
    }

    private void assertFails(String message, String... payloadAndMore) {
        List<String> args = new ArrayList<>(List.of(payloadAndMore));
        args.add("--key");
        args.add(keyFile.toString());
        assertEquals(1, verify(args.toArray(String[]::new)), out + err);
        assertEquals("verification failed: " + message + "\n", err);
        assertEquals("", out);
    }

    private int verify(String... args) {
        List<String> all = new ArrayList<>(List.of("verify", "--proof", proofFile.toString()));
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    private int consistency(Object... args) {
        List<String> all = new ArrayList<>(List.of("consistency"));
        for (Object arg : args) {
            all.add(arg.toString());
        }
        all.add("--key");
        all.add(keyFile.toString());
        return run(all.toArray(String[]::new));
    }

    private int run(String... args) {
        VerifierRun run = VerifierRun.of(args);
        out = run.out();
        err = run.err();
        return run.exitCode();
    }

    private void writeProof(TlogProof tampered) throws IOException {
        Files.writeString(proofFile, tampered.format());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static String b64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }
}
