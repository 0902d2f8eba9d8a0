package io.anchormq.anchoring.merkle;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A hash of {@link Rfc9162#HASH_SIZE} bytes (a leaf or root hash of the log) as a value: the bytes are copied in and
 * out, equality is by content, and {@link #toString} is the hash in base64, as checkpoints write it. Records that hold
 * one get their equals, hashCode and toString for free, which a {@code byte[]} component does not give them.
 */
public final class Sha256Hash {

    private final byte[] bytes;

    private Sha256Hash(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * A copy of {@code bytes} as a hash.
     *
     * @param what names the hash in the {@link IllegalArgumentException} when it has the wrong length:
     *             "{@code <what>} has 31 bytes, not 32"
     */
    public static Sha256Hash of(byte[] bytes, String what) {
        Objects.requireNonNull(bytes, what);
        if (bytes.length != Rfc9162.HASH_SIZE) {
            throw new IllegalArgumentException(what + " has " + bytes.length + " bytes, not " + Rfc9162.HASH_SIZE);
        }
        return new Sha256Hash(bytes.clone());
    }

    /** A copy of the hash's bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sha256Hash h && Arrays.equals(bytes, h.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
