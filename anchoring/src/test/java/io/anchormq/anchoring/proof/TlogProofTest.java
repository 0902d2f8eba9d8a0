package io.anchormq.anchoring.proof;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.merkle.InMemoryHashes;
import io.anchormq.anchoring.merkle.MerkleTree;
import io.anchormq.anchoring.merkle.ProofException;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteSignature;
import io.anchormq.anchoring.note.NoteSigner;
import io.anchormq.anchoring.note.SignedNote;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlogProofTest {

    private static final String ORIGIN = "anchormq.local/log/default";
    private static final NoteSigner LOG_KEY = NoteSigner.ofEd25519Seed(ORIGIN, new byte[32]);
    private static final HexFormat HEX = HexFormat.of();

    /** A log of five entries and the proof of entry 3. */
    static TlogProof sampleProof() {
        List<byte[]> leaves = new ArrayList<>();
        byte[] entry3 = null;
        for (int i = 0; i < 5; i++) {
            byte[] encoded = new LogEntry("default", "sensor-" + i, "plant/temp", 1,
                    Rfc9162.sha256(("payload " + i).getBytes(StandardCharsets.UTF_8)), 1_700_000_000_000_000L + i,
                    new byte[16], i).encode();
            leaves.add(Rfc9162.leafHash(encoded));
            if (i == 3) {
                entry3 = encoded;
            }
        }
        InMemoryHashes tree = InMemoryHashes.of(leaves);
        SignedNote checkpoint = SignedNote.sign(new Checkpoint(ORIGIN, 5, MerkleTree.root(tree, 5)).format(), LOG_KEY);
        return new TlogProof(entry3, 3, MerkleTree.inclusionProof(tree, 3, 5), checkpoint);
    }

    @Test
    void formatIsTheC2spLayout() {
        TlogProof proof = sampleProof();
        List<byte[]> hashes = proof.inclusionProof();
        String expected = "c2sp.org/tlog-proof@v1\n"
                + "extra " + Base64.getEncoder().encodeToString(proof.extra().orElseThrow()) + "\n"
                + "index 3\n"
                + Base64.getEncoder().encodeToString(hashes.get(0)) + "\n"
                + Base64.getEncoder().encodeToString(hashes.get(1)) + "\n"
                + Base64.getEncoder().encodeToString(hashes.get(2)) + "\n"
                + "\n"
                + ORIGIN + "\n5\n" + Base64.getEncoder().encodeToString(proof.checkpoint().root()) + "\n"
                + "\n"
                + "— " + ORIGIN + " " + Base64.getEncoder().encodeToString(ByteBuffer.allocate(68)
                        .putInt(LOG_KEY.keyId())
                        .put(proof.checkpointNote().signatures().get(0).signature()).array()) + "\n";
        assertEquals(expected, proof.format());
        assertEquals(3, hashes.size());
    }

    @Test
    void parsesWhatItFormatsAndTheProofVerifiesAgainstTheExtra() throws ProofException, SignatureException {
        TlogProof proof = sampleProof();
        TlogProof parsed = TlogProof.parse(proof.format().getBytes(StandardCharsets.UTF_8));
        assertEquals(proof, parsed);
        assertEquals(proof.format(), parsed.format());
        assertEquals(List.of(LOG_KEY.verifier()), parsed.checkpointNote().verify(List.of(LOG_KEY.verifier())));
        // what an independent verifier does: leaf hash = SHA-256(0x00 ‖ base64decode(extra))
        byte[] leafHash = Rfc9162.leafHash(parsed.extra().orElseThrow());
        ProofVerifier.verifyInclusion(leafHash, parsed.index(), parsed.checkpoint().size(), parsed.inclusionProof(),
                parsed.checkpoint().root());
        assertEquals("sensor-3", LogEntry.decode(parsed.extra().orElseThrow()).clientId());
    }

    @Test
    void extraIsOptionalAndAnEmptyProofIsFine() {
        SignedNote checkpoint = SignedNote.sign(new Checkpoint(ORIGIN, 1, new byte[32]).format(), LOG_KEY);
        TlogProof bare = new TlogProof(null, 0, List.of(), checkpoint);
        assertEquals("c2sp.org/tlog-proof@v1\nindex 0\n\n" + checkpoint.format(), bare.format());
        assertEquals(bare, TlogProof.parse(bare.format()));
        assertTrue(TlogProof.parse(bare.format()).extra().isEmpty());
    }

    @Test
    void anchorLineIsOneMoreSignatureLineThatKeyVerifiersIgnore() throws SignatureException {
        byte[] contract = HEX.parseHex("e78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab");
        byte[] tx = HEX.parseHex("5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060");
        ChainAnchor anchor = new ChainAnchor(1337, contract, tx, 42, 7);
        TlogProof anchored = sampleProof().withAnchor(anchor);

        String name = "eip155:1337:0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab";
        byte[] idInput = ByteBuffer.allocate(name.length() + 2 + 22).put(name.getBytes(StandardCharsets.US_ASCII))
                .put((byte) 0x0A).put((byte) 0xFF).put("anchormq/eth-anchor/v1".getBytes(StandardCharsets.US_ASCII))
                .array();
        byte[] keyId = Arrays.copyOf(Rfc9162.sha256(idInput), 4);
        byte[] payload = ByteBuffer.allocate(4 + 32 + 8 + 4).put(keyId).put(tx).putLong(42).putInt(7).array();
        String line = "— " + name + " " + Base64.getEncoder().encodeToString(payload) + "\n";
        assertTrue(anchored.format().endsWith(line), anchored.format());
        assertEquals("— eip155:1337:0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab "
                + "arRtnVxQTtQyy1ETi88Jql6KQQ3UoeIE74S/7RvhbfuhsiBgAAAAAAAAACoAAAAH\n", line);

        TlogProof parsed = TlogProof.parse(anchored.format());
        assertEquals(List.of(anchor), parsed.anchors());
        assertEquals(anchored, parsed);
        assertEquals(List.of(LOG_KEY.verifier()), parsed.checkpointNote().verify(List.of(LOG_KEY.verifier())));
        assertEquals(List.of(), sampleProof().anchors());
        assertEquals("ChainAnchor[chain 1337, contract 0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab, tx "
                + "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060, block 42, log index 7]",
                anchor.toString());
    }

    @Test
    void eip155LinesOfOtherKeysAreNotAnchors() {
        TlogProof proof = sampleProof();
        NoteSignature otherKey = new NoteSignature("eip155:1337:0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab", 1234,
                new byte[48]);
        TlogProof withOther = new TlogProof(proof.extra().orElseThrow(), proof.index(), proof.inclusionProof(),
                proof.checkpointNote().withSignature(otherKey));
        assertEquals(List.of(), TlogProof.parse(withOther.format()).anchors());
    }

    @Test
    void rejectsMalformedAnchorLines() {
        TlogProof proof = sampleProof();
        String upper = "eip155:1337:0xE78A0F7E598CC8B0BB87894B0F60DD2A88D6A8AB";
        assertAnchorLineRejected(proof, new NoteSignature(upper, NoteSignature.keyId(upper, ChainAnchor.TYPE),
                new byte[44]), "anchor line contract 0xE78A0F7E598CC8B0BB87894B0F60DD2A88D6A8AB is not 0x and 40"
                        + " lowercase hex digits");
        String name = "eip155:1337:0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab";
        assertAnchorLineRejected(proof, new NoteSignature(name, NoteSignature.keyId(name, ChainAnchor.TYPE),
                new byte[43]), "anchor line for " + name + " carries 43 bytes, not 44 (transaction hash, block"
                        + " number, log index)");
        String zeros = "eip155:01337:0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab";
        assertAnchorLineRejected(proof, new NoteSignature(zeros, NoteSignature.keyId(zeros, ChainAnchor.TYPE),
                new byte[44]), "anchor line chain id has a leading zero: \"01337\"");
        String noChain = "eip155:0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab";
        assertAnchorLineRejected(proof, new NoteSignature(noChain, NoteSignature.keyId(noChain, ChainAnchor.TYPE),
                new byte[44]), "anchor line name " + noChain + " is not eip155:<chain id>:<address>");
        byte[] hugeBlock = ByteBuffer.allocate(44).put(new byte[32]).putLong(-1).putInt(0).array();
        assertAnchorLineRejected(proof, new NoteSignature(name, NoteSignature.keyId(name, ChainAnchor.TYPE),
                hugeBlock), "anchor line for " + name + " has block number 18446744073709551615 and log index 0;"
                        + " this verifier reads them up to 2^63 - 1 and 2^31 - 1");
        assertThrows(IllegalArgumentException.class, () -> new ChainAnchor(0, new byte[20], new byte[32], 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChainAnchor(1, new byte[19], new byte[32], 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChainAnchor(1, new byte[20], new byte[31], 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChainAnchor(1, new byte[20], new byte[32], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChainAnchor(1, new byte[20], new byte[32], 0, -1));
    }

    @Test
    void rejectsMalformedProofs() {
        String good = sampleProof().format();
        String[] lines = good.split("\n", -1);
        String extraLine = lines[1];
        String hash = lines[3];
        String checkpoint = good.substring(good.indexOf("\n\n") + 2);
        String head = "c2sp.org/tlog-proof@v1\n" + extraLine + "\n";

        assertRejected("proof line 1 is \"c2sp.org/tlog-proof@v2\", not the header c2sp.org/tlog-proof@v1",
                good.replace("@v1", "@v2"));
        assertRejected("proof ends after line 0, before the header", "");
        assertRejected("proof ends after line 1, before the index line", "c2sp.org/tlog-proof@v1\n");
        assertRejected("proof line 2 should be \"index <leaf index>\" or \"extra <base64>\", is \"\"",
                "c2sp.org/tlog-proof@v1\n\n\n" + checkpoint);
        assertRejected("proof line 3 should be \"index <leaf index>\", is \"" + hash + "\"",
                head + hash + "\n\n" + checkpoint);
        assertRejected("proof line 2: extra data is not base64: \"!!notbase64!!\"",
                "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\n" + checkpoint);
        assertRejected("proof line 2: extra data is not canonical padded base64: \"YWJ=\"",
                "c2sp.org/tlog-proof@v1\nextra YWJ=\nindex 0\n\n" + checkpoint);
        assertRejected("proof line 2: extra data is not canonical padded base64: \"YWI\"",
                "c2sp.org/tlog-proof@v1\nextra YWI\nindex 0\n\n" + checkpoint);
        assertRejected("proof line 3: leaf index has a leading zero: \"03\"", head + "index 03\n\n" + checkpoint);
        assertRejected("proof line 3: leaf index is not a decimal number: \"-5\"", head + "index -5\n\n" + checkpoint);
        assertRejected("proof line 3: leaf index is not a decimal number: \"notanumber\"",
                head + "index notanumber\n\n" + checkpoint);
        assertRejected("proof line 3: leaf index is empty", head + "index \n\n" + checkpoint);
        assertRejected("proof line 3 should be \"index <leaf index>\", is \"index\"", head + "index\n\n" + checkpoint);
        assertRejected("proof line 3: leaf index \"18446744073709551615\" is larger than 9223372036854775807",
                head + "index 18446744073709551615\n\n" + checkpoint);
        assertRejected("proof line 4: inclusion proof hash is not base64: \"!!notbase64!!\"",
                head + "index 3\n!!notbase64!!\n\n" + checkpoint);
        assertRejected("proof line 4: inclusion proof hash has 64 bytes, not 32",
                head + "index 3\n" + Base64.getEncoder().encodeToString(new byte[64]) + "\n\n" + checkpoint);
        assertRejected("proof line 5: inclusion proof hash has 31 bytes, not 32",
                head + "index 3\n" + hash + "\n" + Base64.getEncoder().encodeToString(new byte[31]) + "\n\n"
                        + checkpoint);
        assertRejected("proof line 4: inclusion proof hash is not base64: \"" + hash + "\r\"",
                good.replace("\n" + hash + "\n", "\n" + hash + "\r\n"));
        assertRejected("proof line 67 is inclusion proof hash 64; no tree needs more than 63",
                head + "index 3\n" + (hash + "\n").repeat(64) + "\n" + checkpoint);
        assertRejected("proof ends after line 4, before the empty line before the checkpoint",
                head + "index 3\n" + hash + "\n");
        assertRejected("proof has no checkpoint after the empty line", head + "index 3\n" + hash + "\n\n");
        assertRejected("proof checkpoint (from line 6): note has no blank line before its signatures",
                head + "index 3\n" + hash + "\n\n" + checkpoint.replace("\n\n", "\n"));
        assertRejected("proof checkpoint (from line 6): checkpoint line 2 (tree size) has a leading zero: \"05\"",
                head + "index 3\n" + hash + "\n\n" + checkpoint.replace("\n5\n", "\n05\n"));
        assertRejected("proof checkpoint (from line 8): note line 6 contains the control character U+0001",
                good + "\u0001");
        assertEquals("proof is not valid UTF-8", assertThrows(IllegalArgumentException.class,
                () -> TlogProof.parse(new byte[] {'c', (byte) 0xC3, '(', '\n'})).getMessage());
    }

    @Test
    void constructorChecksItsParts() {
        SignedNote checkpoint = sampleProof().checkpointNote();
        assertThrows(IllegalArgumentException.class, () -> new TlogProof(null, -1, List.of(), checkpoint));
        assertThrows(IllegalArgumentException.class, () -> new TlogProof(null, 0, List.of(new byte[31]),
                checkpoint));
        SignedNote notACheckpoint = SignedNote.sign("hello\n", LOG_KEY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TlogProof(null, 0, List.of(), notACheckpoint));
        assertEquals("checkpoint text has 1 lines; it needs origin, tree size and root hash", e.getMessage());
        byte[] extra = {1, 2, 3};
        TlogProof proof = new TlogProof(extra, 0, List.of(), checkpoint);
        extra[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, proof.extra().orElseThrow());
    }

    private static void assertAnchorLineRejected(TlogProof proof, NoteSignature line, String expected) {
        SignedNote note = proof.checkpointNote().withSignature(line);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TlogProof(proof.extra().orElseThrow(), proof.index(), proof.inclusionProof(), note));
        assertEquals(expected, e.getMessage());
        String text = proof.format().replace(proof.checkpointNote().format(), note.format());
        assertEquals("proof checkpoint (from line 8): " + expected,
                assertThrows(IllegalArgumentException.class, () -> TlogProof.parse(text)).getMessage());
    }

    private static void assertRejected(String expected, String proof) {
        String message = assertThrows(IllegalArgumentException.class, () -> TlogProof.parse(proof)).getMessage();
        assertEquals(expected, message);
    }
}
