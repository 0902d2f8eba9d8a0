package io.anchormq.anchoring.note;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * An Ed25519 public key of C2SP signed-note, with its name and key id. Its text form is Go's verifier key
 * ({@code golang.org/x/mod/sumdb/note}): {@code <name>+<hex8 key id>+<base64(0x01 ‖ 32-byte public key)>}.
 * Immutable and thread-safe.
 */
public final class NoteVerifier {

    static final byte ED25519 = 0x01;
    static final int KEY_SIZE = Ed25519PublicKeyParameters.KEY_SIZE;

    private final String name;
    private final int keyId;
    private final Ed25519PublicKeyParameters publicKey;

    private NoteVerifier(String name, Ed25519PublicKeyParameters publicKey) {
        NoteSignature.checkKeyName(name);
        this.name = name;
        this.publicKey = publicKey;
        this.keyId = NoteSignature.keyId(name, typeAndKey(publicKey.getEncoded()));
    }

    /** The key of {@code name} with this 32-byte Ed25519 public key. */
    public static NoteVerifier ofEd25519(String name, byte[] publicKey) {
        return new NoteVerifier(name, publicKey(publicKey));
    }

    /** Parses a verifier key; {@link IllegalArgumentException} says which part is wrong. */
    public static NoteVerifier parse(String vkey) {
        // base64 has plus signs too: the key is everything after the second one
        String[] parts = vkey.split("\\+", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("a verifier key has the form <name>+<key id>+<key>");
        }
        byte[] key = CanonicalEncoding.decodeBase64(parts[2], "verifier key");
        if (key.length != 1 + KEY_SIZE || key[0] != ED25519) {
            throw new IllegalArgumentException("verifier key is not an Ed25519 key (0x01 and 32 bytes): "
                    + key.length + " bytes" + (key.length > 0 ? String.format(", type 0x%02x", key[0]) : ""));
        }
        NoteVerifier verifier = ofEd25519(parts[0], Arrays.copyOfRange(key, 1, key.length));
        checkKeyId(parts[1], verifier.keyId);
        return verifier;
    }

    public String name() {
        return name;
    }

    public int keyId() {
        return keyId;
    }

    public byte[] publicKey() {
        return publicKey.getEncoded();
    }

    /** Whether {@code signature} is this key's Ed25519 signature of {@code message}. */
    public boolean verify(byte[] message, byte[] signature) {
        if (signature.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, publicKey);
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }

    /** {@code name+hex8}. */
    public String keyLabel() {
        return NoteSignature.keyLabel(name, keyId);
    }

    /** The verifier key text. */
    public String format() {
        return keyLabel() + '+' + Base64.getEncoder().encodeToString(typeAndKey(publicKey.getEncoded()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoteVerifier v && name.equals(v.name) && Arrays.equals(publicKey(), v.publicKey());
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(publicKey());
    }

    @Override
    public String toString() {
        return format();
    }

    static byte[] typeAndKey(byte[] key) {
        byte[] out = new byte[1 + key.length];
        out[0] = ED25519;
        System.arraycopy(key, 0, out, 1, key.length);
        return out;
    }

    /** Key ids in key texts are 8 lowercase hex digits and must match the key. */
    static void checkKeyId(String hex8, int expected) {
        if (hex8.length() != 8 || !hex8.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("key id " + CanonicalEncoding.quote(hex8)
                    + " is not 8 lowercase hex digits");
        }
        String actual = HexFormat.of().toHexDigits(expected);
        if (!hex8.equals(actual)) {
            throw new IllegalArgumentException("key id " + hex8 + " does not match the key (its id is " + actual + ")");
        }
    }

    private static Ed25519PublicKeyParameters publicKey(byte[] key) {
        if (key.length != KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + key.length);
        }
        try {
            return new Ed25519PublicKeyParameters(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid Ed25519 public key (not a curve point)", e);
        }
    }
}
