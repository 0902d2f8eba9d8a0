package io.anchormq.anchoring.merkle;

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
