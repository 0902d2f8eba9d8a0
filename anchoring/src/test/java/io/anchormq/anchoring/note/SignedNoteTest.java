package io.anchormq.anchoring.note;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Signed notes against Go's golang.org/x/mod/sumdb/note vectors (TestSign, TestOpen) and C2SP signed-note. */
class SignedNoteTest {

    static final String TEXT = "If you think cryptography is the answer to your problem,\n"
            + "then you don't know what your problem is.\n";
    static final String PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqf"
            + "qdngotpRZb6KE6RyyBwJnAM=\n";
    static final String ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOT"
            + "GwnWLox33WWd1RvMc+QQ=\n";

    private static final NoteVerifier PETER = NoteVerifier.parse(NoteKeysTest.PETER_VKEY);
    private static final NoteVerifier ENOCH = NoteVerifier.parse(NoteKeysTest.ENOCH_VKEY);

    @Test
    void signingReproducesGosSignature() {
        SignedNote note = SignedNote.sign(TEXT, NoteSigner.parse(NoteKeysTest.PETER_SKEY));
        assertEquals(TEXT + "\n" + PETER_SIG, note.format());
    }

    @Test
    void verifiesWithTheKnownKeysAndIgnoresOthers() throws SignatureException {
        SignedNote note = SignedNote.parse(TEXT + "\n" + PETER_SIG + ENOCH_SIG);
        assertEquals(TEXT, note.text());
        assertEquals(List.of("PeterNeumann+c74f20a3", "EnochRoot+af0cfe78"),
                note.signatures().stream().map(NoteSignature::keyLabel).toList());
        assertEquals(List.of(PETER), note.verify(List.of(PETER)));
        assertEquals(List.of(ENOCH), note.verify(List.of(ENOCH)));
        assertEquals(List.of(PETER, ENOCH), note.verify(List.of(ENOCH, PETER, ENOCH)));
        assertEquals(TEXT + "\n" + PETER_SIG + ENOCH_SIG, note.format());
    }

    @Test
    void rejectsANoteNoKnownKeySigned() {
        SignedNote note = SignedNote.parse(TEXT + "\n" + PETER_SIG + ENOCH_SIG);
        assertEquals("no signature by any of the given keys (the note is signed by PeterNeumann+c74f20a3, "
                + "EnochRoot+af0cfe78)", assertThrows(SignatureException.class, () -> note.verify(List.of()))
                .getMessage());
        // same name, other key id: another key, so ignored
        NoteVerifier otherPeter = NoteSigner.generate("PeterNeumann").verifier();
        assertThrows(SignatureException.class, () -> note.verify(List.of(otherPeter)));
    }

    @Test
    void rejectsANoteWithAFailingSignatureOfAKnownKey() throws SignatureException {
        SignedNote bad = SignedNote.parse(TEXT + "\n" + PETER_SIG.substring(0, 60) + "ABCD" + PETER_SIG.substring(60));
        assertEquals("signature by key PeterNeumann+c74f20a3 does not verify",
                assertThrows(SignatureException.class, () -> bad.verify(List.of(PETER))).getMessage());
        // even next to a good one
        SignedNote mixed = SignedNote.parse(TEXT + "\n" + ENOCH_SIG + PETER_SIG.substring(0, 60) + "ABCD"
                + PETER_SIG.substring(60));
        assertThrows(SignatureException.class, () -> mixed.verify(List.of(PETER, ENOCH)));
        assertEquals(List.of(ENOCH), mixed.verify(List.of(ENOCH)));
        // a signature over other text
        SignedNote otherText = SignedNote.parse(TEXT.replace("answer", "ANSWER") + "\n" + PETER_SIG);
        assertThrows(SignatureException.class, () -> otherText.verify(List.of(PETER)));
    }

    @Test
    void aBlankLineAmongSignaturesMakesTheLinesBeforeItText() {
        SignedNote note = SignedNote.parse(TEXT + "\n" + PETER_SIG + "\n" + ENOCH_SIG);
        assertEquals(TEXT + "\n" + PETER_SIG, note.text());
        assertEquals(1, note.signatures().size());
        // Enoch signed TEXT, not this longer text
        assertThrows(SignatureException.class, () -> note.verify(List.of(ENOCH, PETER)));
        assertThrows(SignatureException.class, () -> note.verify(List.of(PETER)));
    }

    @Test
    void textIsSeparatedFromSignaturesByTheLastBlankLine() {
        // the C2SP signed-note example, whose text has a blank line of its own
        String example = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
                + "\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMc"
                + "Xxj99ihAQwaqP3ZekRwNtIc=\n";
        SignedNote note = SignedNote.parse(example.getBytes(StandardCharsets.UTF_8));
        assertEquals("Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n",
                note.text());
        assertEquals("quasimodo.example/salvatore", note.signatures().get(0).keyName());
        assertEquals(example, note.format());
    }

    @Test
    void rejectsMalformedNotes() {
        // Go's TestOpen bad messages
        assertMalformed("note has no blank line before its signatures", TEXT);
        assertMalformed("note has no signature lines after its last blank line", TEXT + "\n");
        assertMalformed("note does not end with a newline", TEXT + "\n" + PETER_SIG.substring(0, PETER_SIG.length() - 1));
        assertMalformed("note line 1 contains the control character U+0001", "\u0001" + TEXT + "\n" + PETER_SIG);
        assertMalformed("signature line 1 signature is not base64: \"Name x08go/",
                TEXT + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6"
                        + "RyyBwJnAM=\n");
        assertMalformed("signature line 2 does not start with an em dash (U+2014) and a space: \"Unexpected line.\"",
                TEXT + "\n" + PETER_SIG + "Unexpected line.\n");
        byte[] invalidUtf8 = ("\u00ff" + TEXT + "\n" + PETER_SIG).getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("note is not valid UTF-8", assertThrows(IllegalArgumentException.class,
                () -> SignedNote.parse(invalidUtf8)).getMessage());
        // 101 signatures
        assertMalformed("note has 101 signature lines, more than the 100 accepted",
                TEXT + "\n" + PETER_SIG.repeat(101));
        // and more
        assertMalformed("note line 1 contains the control character U+000D", TEXT.replace("\n", "\r\n") + "\n"
                + PETER_SIG);
        assertMalformed("note line 4 contains the control character U+0009", TEXT + "\n" + PETER_SIG.replace(" x08", "\tx08"));
        assertMalformed("signature line 1 has no space between key name and signature", TEXT + "\n— PeterNeumann\n");
        assertMalformed("signature line 1: key name is empty", TEXT + "\n—  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcEl"
                + "ZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
        assertMalformed("signature line 1: key name \"Peter+Neumann\" contains U+002B; key names have no spaces, plus"
                + " signs or control characters", TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"));
        assertMalformed("signature line 1: key name \"Peter\u00a0Neumann\" contains U+00A0; key names have no"
                + " spaces, plus signs or control characters",
                TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter\u00a0Neumann"));
        assertMalformed("signature line 1 signature has 4 bytes; a key id (4 bytes) and a signature must follow the"
                + " name", TEXT + "\n— PeterNeumann x08go/w==\n".replace("x08go/w==", "x08gow=="));
        assertMalformed("signature line 1 signature is not canonical padded base64: \"x08go/",
                TEXT + "\n" + PETER_SIG.replace("JnAM=", "JnAM"));
        assertMalformed("signature line 1 does not start with an em dash (U+2014) and a space: \"-- PeterNeumann",
                TEXT + "\n" + PETER_SIG.replace("—", "--"));
        assertMalformed("note line 1 contains an unpaired surrogate", "\ud800" + TEXT + "\n" + PETER_SIG);
    }

    @Test
    void signingChecksTheText() {
        NoteSigner peter = NoteSigner.parse(NoteKeysTest.PETER_SKEY);
        assertEquals("note text does not end with a newline",
                assertThrows(IllegalArgumentException.class, () -> SignedNote.sign("abc", peter)).getMessage());
        assertEquals("note text line 1 contains the control character U+0000",
                assertThrows(IllegalArgumentException.class, () -> SignedNote.sign("a\u0000\n", peter)).getMessage());
        assertEquals("a signed note needs at least one signer",
                assertThrows(IllegalArgumentException.class, () -> SignedNote.sign(TEXT)).getMessage());
    }

    @Test
    void severalSignersForKeyRotation() throws SignatureException {
        NoteSigner old = NoteSigner.generate("anchormq.local/log/default");
        NoteSigner next = NoteSigner.generate("anchormq.local/log/default");
        SignedNote note = SignedNote.sign("anchormq.local/log/default\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                old, next);
        assertEquals(2, note.signatures().size());
        SignedNote reparsed = SignedNote.parse(note.format());
        assertEquals(note, reparsed);
        assertEquals(List.of(next.verifier()), reparsed.verify(List.of(next.verifier())));
        assertEquals(List.of(old.verifier(), next.verifier()),
                reparsed.verify(List.of(next.verifier(), old.verifier())));
        NoteSignature extra = new NoteSignature("witness.example", 1234, new byte[] {1, 2, 3});
        SignedNote more = reparsed.withSignature(extra);
        assertEquals(note.format() + "— witness.example AAAE0gECAw==\n", more.format());
        assertEquals(List.of(old.verifier()), more.verify(List.of(old.verifier())));
    }

    /** The message is {@code expected}, or starts with it when it quotes a long line. */
    private static void assertMalformed(String expected, String note) {
        String message = assertThrows(IllegalArgumentException.class, () -> SignedNote.parse(note)).getMessage();
        if (message.endsWith("…\"")) {
            assertTrue(message.startsWith(expected), message);
        } else {
            assertEquals(expected, message);
        }
    }
}
