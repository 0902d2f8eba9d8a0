package io.anchormq.anchoring.merkle;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The hashes of RFC 9162 §2.1 (SHA-256): leaf = H(0x00 ‖ entry), node = H(0x01 ‖ left ‖ right). */
public final class Rfc9162 {

    public static final int HASH_SIZE = 32;

    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Rfc9162::newSha256);

    private Rfc9162() {
    }

    public static byte[] leafHash(byte[] entry) {
        MessageDigest d = SHA256.get();
        d.update(LEAF_PREFIX);
        return d.digest(entry);
    }

    public static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest d = SHA256.get();
        d.update(NODE_PREFIX);
        d.update(left);
        return d.digest(right);
    }

    /** {@link #leafHash} into {@code out} (32 bytes), for loops that would otherwise make an array per hash. */
    public static void leafHash(byte[] entry, byte[] out) {
        MessageDigest d = SHA256.get();
        d.update(LEAF_PREFIX);
        d.update(entry);
        digestInto(d, out);
    }

    /** {@link #nodeHash} into {@code out} (32 bytes, may be {@code left} or {@code right}). */
    public static void nodeHash(byte[] left, byte[] right, byte[] out) {
        MessageDigest d = SHA256.get();
        d.update(NODE_PREFIX);
        d.update(left);
        d.update(right);
        digestInto(d, out);
    }

    private static void digestInto(MessageDigest d, byte[] out) {
        try {
            d.digest(out, 0, HASH_SIZE);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 refused a 32-byte output", e); // it cannot
        }
    }

    /** The root of the empty tree: SHA-256 of the empty string. */
    public static byte[] emptyRoot() {
        return SHA256.get().digest(new byte[0]);
    }

    /** Plain SHA-256 (payload digests, key ids). */
    public static byte[] sha256(byte[] data) {
        return SHA256.get().digest(data);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
