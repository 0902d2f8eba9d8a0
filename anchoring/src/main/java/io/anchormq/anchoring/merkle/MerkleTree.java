package io.anchormq.anchoring.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * Tree hashes and proofs of RFC 9162 §2.1 over the perfect-subtree hashes a {@link HashReader} serves.
 *
 * <p>Every call reads and combines O(log n) hashes: a proof's siblings are perfect subtrees (one read each) except
 * at most one, the subtree on the tree's right edge, which is folded from its perfect decomposition (at most one
 * piece per level). Proof hashes are in the order of RFC 9162 §2.1.3.1 and §2.1.4.1 (leaf end first), the same as
 * RFC 6962 and Go's {@code golang.org/x/mod/sumdb/tlog}.
 */
public final class MerkleTree {

    private MerkleTree() {
    }

    /** The root hash of the tree of the first {@code size} leaves; the empty tree's is {@link Rfc9162#emptyRoot}. */
    public static byte[] root(HashReader hashes, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("tree size " + size + " is negative");
        }
        return size == 0 ? Rfc9162.emptyRoot() : rangeHash(hashes, 0, size);
    }

    /** The inclusion proof of the leaf at {@code index} in the tree of size {@code size} (RFC 9162 §2.1.3.1). */
    public static List<byte[]> inclusionProof(HashReader hashes, long index, long size) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("leaf index " + index + " is outside the tree of size " + size);
        }
        List<byte[]> proof = new ArrayList<>(Long.SIZE);
        addPath(hashes, index, 0, size, proof);
        return proof;
    }

    /**
     * The consistency proof from the tree of size {@code oldSize} to the tree of size {@code newSize} (RFC 9162
     * §2.1.4.1). Empty when the sizes are equal or the old tree is empty.
     */
    public static List<byte[]> consistencyProof(HashReader hashes, long oldSize, long newSize) {
        if (oldSize < 0 || oldSize > newSize) {
            throw new IllegalArgumentException(
                    "no consistency proof from tree size " + oldSize + " to tree size " + newSize);
        }
        List<byte[]> proof = new ArrayList<>(Long.SIZE);
        if (oldSize > 0 && oldSize < newSize) {
            addSubproof(hashes, oldSize, 0, newSize, true, proof);
        }
        return proof;
    }

    /** PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1. */
    private static void addPath(HashReader hashes, long m, long lo, long hi, List<byte[]> proof) {
        if (hi - lo == 1) {
            return;
        }
        long k = largestPowerOfTwoBelow(hi - lo);
        if (m < lo + k) {
            addPath(hashes, m, lo, lo + k, proof);
            proof.add(rangeHash(hashes, lo + k, hi));
        } else {
            addPath(hashes, m, lo + k, hi, proof);
            proof.add(rangeHash(hashes, lo, lo + k));
        }
    }

    /** SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1, {@code m} counted from leaf 0. */
    private static void addSubproof(HashReader hashes, long m, long lo, long hi, boolean b, List<byte[]> proof) {
        if (m == hi) {
            if (!b) {
                proof.add(rangeHash(hashes, lo, hi));
            }
            return;
        }
        long k = largestPowerOfTwoBelow(hi - lo);
        if (m <= lo + k) {
            addSubproof(hashes, m, lo, lo + k, b, proof);
            proof.add(rangeHash(hashes, lo + k, hi));
        } else {
            addSubproof(hashes, m, lo + k, hi, false, proof);
            proof.add(rangeHash(hashes, lo, lo + k));
        }
    }

    /**
     * MTH(D[lo:hi]) for a range that starts on a boundary of its largest perfect piece, as every range of the
     * recursions above does: the pieces, largest first, are stored hashes, folded from the right.
     */
    private static byte[] rangeHash(HashReader hashes, long lo, long hi) {
        byte[][] pieces = new byte[Long.SIZE][];
        int count = 0;
        for (long start = lo; start < hi; ) {
            int level = 63 - Long.numberOfLeadingZeros(hi - start);
            pieces[count++] = read(hashes, level, start >>> level);
            start += 1L << level;
        }
        byte[] hash = pieces[count - 1];
        for (int i = count - 2; i >= 0; i--) {
            hash = Rfc9162.nodeHash(pieces[i], hash);
        }
        return hash;
    }

    private static byte[] read(HashReader hashes, int level, long index) {
        byte[] hash = hashes.hash(level, index);
        if (hash == null || hash.length != Rfc9162.HASH_SIZE) {
            throw new IllegalStateException("the hash reader returned "
                    + (hash == null ? "null" : hash.length + " bytes") + " for level " + level + " index " + index);
        }
        return hash;
    }

    /** The largest power of two strictly smaller than {@code n} (n ≥ 2). */
    private static long largestPowerOfTwoBelow(long n) {
        return Long.highestOneBit(n - 1);
    }
}
