package io.anchormq.anchoring.note;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * An Ed25519 signing key of C2SP signed-note: a name and a 32-byte seed. Its text form is Go's signer key
 * ({@code golang.org/x/mod/sumdb/note}): {@code PRIVATE+KEY+<name>+<hex8 key id>+<base64(0x01 ‖ seed)>}; keep
 * it secret ({@link #toString} does not show it). Immutable and thread-safe.
 */
public final class NoteSigner {

    private static final String PREFIX = "PRIVATE+KEY+";

    private final Ed25519PrivateKeyParameters privateKey;
    private final NoteVerifier verifier;

    private NoteSigner(String name, Ed25519PrivateKeyParameters privateKey) {
        this.privateKey = privateKey;
        this.verifier = NoteVerifier.ofEd25519(name, privateKey.generatePublicKey().getEncoded());
    }

    /** The key of {@code name} with this 32-byte Ed25519 seed (RFC 8032 private key). */
    public static NoteSigner ofEd25519Seed(String name, byte[] seed) {
        if (seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 seed has 32 bytes, not " + seed.length);
        }
        return new NoteSigner(name, new Ed25519PrivateKeyParameters(seed));
    }

    /** A new random key for {@code name}. */
    public static NoteSigner generate(String name) {
        return new NoteSigner(name, new Ed25519PrivateKeyParameters(new SecureRandom()));
    }

    /** Parses a signer key; {@link IllegalArgumentException} says which part is wrong, never showing the seed. */
    public static NoteSigner parse(String skey) {
        if (!skey.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a signer key starts with PRIVATE+KEY+");
        }
        String[] parts = skey.substring(PREFIX.length()).split("\\+", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("a signer key has the form PRIVATE+KEY+<name>+<key id>+<key>");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key part of the signer key is not base64");
        }
        try {
            if (!Base64.getEncoder().encodeToString(key).equals(parts[2])) {
                throw new IllegalArgumentException("the key part of the signer key is not canonical padded base64");
            }
            if (key.length != 1 + Ed25519PrivateKeyParameters.KEY_SIZE || key[0] != NoteVerifier.ED25519) {
                throw new IllegalArgumentException("the signer key is not an Ed25519 key (0x01 and a 32-byte seed)");
            }
            NoteSigner signer = ofEd25519Seed(parts[0], Arrays.copyOfRange(key, 1, key.length));
            NoteVerifier.checkKeyId(parts[1], signer.keyId());
            return signer;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    public String name() {
        return verifier.name();
    }

    public int keyId() {
        return verifier.keyId();
    }

    /** The public half. */
    public NoteVerifier verifier() {
        return verifier;
    }

    /** The Ed25519 signature of {@code message}. */
    public byte[] sign(byte[] message) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    /** The secret signer key text. */
    public String format() {
        byte[] typeAndSeed = NoteVerifier.typeAndKey(privateKey.getEncoded());
        try {
            return PREFIX + verifier.keyLabel() + '+' + Base64.getEncoder().encodeToString(typeAndSeed);
        } finally {
            Arrays.fill(typeAndSeed, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "NoteSigner[" + verifier.keyLabel() + "]";
    }
}
