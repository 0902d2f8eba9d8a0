package io.anchormq.anchoring.note;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Key texts against the vectors of Go's golang.org/x/mod/sumdb/note (note_test.go). */
class NoteKeysTest {

    static final String PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    static final String PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    static final String ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

    @Test
    void parsesGosPeterNeumannKeyPair() {
        NoteVerifier verifier = NoteVerifier.parse(PETER_VKEY);
        NoteSigner signer = NoteSigner.parse(PETER_SKEY);
        assertEquals("PeterNeumann", verifier.name());
        assertEquals(0xc74f20a3, verifier.keyId());
        assertEquals(verifier, signer.verifier());
        assertEquals(PETER_VKEY, verifier.format());
        assertEquals(PETER_VKEY, signer.verifier().format());
        assertEquals(PETER_SKEY, signer.format());
        assertEquals("PeterNeumann+c74f20a3", verifier.keyLabel());
        assertEquals(0xaf0cfe78, NoteVerifier.parse(ENOCH_VKEY).keyId());
    }

    @Test
    void keyIdIsTheC2spHashOfNameTypeAndKey() {
        NoteVerifier verifier = NoteVerifier.parse(PETER_VKEY);
        byte[] typeAndKey = new byte[33];
        typeAndKey[0] = 0x01;
        System.arraycopy(verifier.publicKey(), 0, typeAndKey, 1, 32);
        assertEquals(0xc74f20a3, NoteSignature.keyId("PeterNeumann", typeAndKey));
        assertEquals(0xc74f20a3, NoteVerifier.ofEd25519("PeterNeumann", verifier.publicKey()).keyId());
    }

    /** Go's TestNewVerifier: every proper substring and every byte incremented is rejected. */
    @Test
    void rejectsEveryManglingOfTheVerifierKey() {
        rejectManglings(PETER_VKEY, NoteVerifier::parse);
        // wrong length key and unknown algorithm, each with the key id adjusted to match
        assertEquals("verifier key is not canonical padded base64: "
                + "\"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==\"",
                assertThrows(IllegalArgumentException.class, () -> NoteVerifier.parse(
                        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")).getMessage());
        assertEquals("verifier key is not an Ed25519 key (0x01 and 32 bytes): 33 bytes, type 0x65",
                assertThrows(IllegalArgumentException.class, () -> NoteVerifier.parse(
                        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")).getMessage());
    }

    /** Go's TestNewSigner. */
    @Test
    void rejectsEveryManglingOfTheSignerKey() {
        rejectManglings(PETER_SKEY, NoteSigner::parse);
    }

    @Test
    void parseErrorsSayWhatIsWrong() {
        assertVerifierError("a verifier key has the form <name>+<key id>+<key>",
                "PeterNeumann+c74f20a3");
        assertVerifierError("key id \"C74F20A3\" is not 8 lowercase hex digits",
                "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        assertVerifierError("key id c74f20a4 does not match the key (its id is c74f20a3)",
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        assertVerifierError("key name \"Peter Neumann\" contains U+0020; key names have no spaces, plus signs or"
                + " control characters", "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        assertVerifierError("key name is empty", "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        assertVerifierError("verifier key is not canonical padded base64: "
                + "\"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T\"",
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T");
        assertVerifierError("verifier key is not base64: \"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!\"",
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!");
        // not a point of the curve: y = 2 has no x
        byte[] notAPoint = new byte[33];
        notAPoint[0] = 1;
        notAPoint[1] = 2;
        String b64 = java.util.Base64.getEncoder().encodeToString(notAPoint);
        String hex8 = String.format("%08x", NoteSignature.keyId("x", notAPoint));
        assertVerifierError("not a valid Ed25519 public key (not a curve point)", "x+" + hex8 + "+" + b64);

        assertEquals("a signer key starts with PRIVATE+KEY+",
                assertThrows(IllegalArgumentException.class, () -> NoteSigner.parse(PETER_VKEY)).getMessage());
        IllegalArgumentException wrongId = assertThrows(IllegalArgumentException.class,
                () -> NoteSigner.parse(PETER_SKEY.replace("c74f20a3", "c74f20a4")));
        assertEquals("key id c74f20a4 does not match the key (its id is c74f20a3)", wrongId.getMessage());
    }

    @Test
    void generatedKeysSignAndVerify() {
        NoteSigner signer = NoteSigner.generate("anchormq.local/log/default");
        NoteSigner again = NoteSigner.parse(signer.format());
        assertEquals(signer.verifier(), again.verifier());
        assertEquals(signer.verifier(), NoteVerifier.parse(signer.verifier().format()));
        byte[] message = "hi".getBytes(StandardCharsets.UTF_8);
        byte[] signature = again.sign(message);
        assertTrue(signer.verifier().verify(message, signature));
        signature[0]++;
        assertFalse(signer.verifier().verify(message, signature));
        signature[0]--;
        message[0]++;
        assertFalse(signer.verifier().verify(message, signature));
        assertFalse(signer.verifier().verify("hi".getBytes(StandardCharsets.UTF_8), new byte[63]));
        assertFalse(NoteSigner.generate("anchormq.local/log/default").verifier().equals(signer.verifier()));
    }

    @Test
    void signerFromSeedAndItsToStringKeepsTheSecret() {
        byte[] seed = new byte[32];
        seed[5] = 7;
        NoteSigner signer = NoteSigner.ofEd25519Seed("EnochRoot", seed);
        assertEquals("NoteSigner[EnochRoot+" + String.format("%08x", signer.keyId()) + "]", signer.toString());
        assertFalse(signer.toString().contains(signer.format().substring(signer.format().lastIndexOf('+') + 1)));
        assertArrayEquals(signer.verifier().publicKey(), NoteSigner.parse(signer.format()).verifier().publicKey());
        assertThrows(IllegalArgumentException.class, () -> NoteSigner.ofEd25519Seed("EnochRoot", new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> NoteSigner.ofEd25519Seed("Enoch+Root", seed));
        assertThrows(IllegalArgumentException.class, () -> NoteVerifier.ofEd25519("EnochRoot", new byte[33]));
    }

    private static void assertVerifierError(String expected, String vkey) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> NoteVerifier.parse(vkey))
                .getMessage());
    }

    private static void rejectManglings(String key, Consumer<String> parse) {
        byte[] b = key.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i <= b.length; i++) {
            for (int j = i + 1; j <= b.length; j++) {
                if (i != 0 || j != b.length) {
                    rejected(new String(b, i, j - i, StandardCharsets.US_ASCII), parse);
                }
            }
        }
        for (int i = 0; i < b.length; i++) {
            b[i]++;
            rejected(new String(b, StandardCharsets.US_ASCII), parse);
            b[i]--;
        }
    }

    private static void rejected(String key, Consumer<String> parse) {
        try {
            parse.accept(key);
            fail("accepted " + key);
        } catch (IllegalArgumentException expected) {
            // as it must be
        }
    }
}
