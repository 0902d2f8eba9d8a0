package io.anchormq.anchoring.merkle;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Inclusion and consistency proof verification of RFC 9162 §2.1.3.2 and §2.1.4.2. Failures throw
 * {@link ProofException} naming the check and the values involved (hashes in base64).
 */
public final class ProofVerifier {

    private ProofVerifier() {
    }

    /** Checks that {@code proof} shows the leaf with {@code leafHash} at {@code index} in the tree {@code root}. */
    public static void verifyInclusion(byte[] leafHash, long index, long size, List<byte[]> proof, byte[] root)
            throws ProofException {
        requireHash("root", root);
        byte[] computed = rootFromInclusionProof(leafHash, index, size, proof);
        if (!Arrays.equals(computed, root)) {
            throw new ProofException("inclusion proof leads to root " + base64(computed) + ", expected "
                    + base64(root));
        }
    }

    /**
     * The root that {@code proof} leads to from the leaf with {@code leafHash} at {@code index} in a tree of size
     * {@code size}; throws when the index or the proof's shape is wrong for that tree.
     */
    public static byte[] rootFromInclusionProof(byte[] leafHash, long index, long size, List<byte[]> proof)
            throws ProofException {
        requireHash("leaf hash", leafHash);
        if (index < 0 || index >= size) {
            throw new ProofException("leaf index " + index + " is out of range for tree size " + size);
        }
        requireHashes(proof);
        // the length the "too many"/"not enough" checks of §2.1.3.2 step 3 and 4 allow, computed up front
        int inner = 64 - Long.numberOfLeadingZeros(index ^ (size - 1));
        int expected = inner + Long.bitCount(index >>> inner);
        if (proof.size() != expected) {
            throw new ProofException("inclusion proof has " + proof.size() + " hashes; the leaf at index " + index
                    + " of a tree of size " + size + " needs " + expected);
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if ((fn & 1) == 1 || fn == sn) {
                r = Rfc9162.nodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                r = Rfc9162.nodeHash(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return r;
    }

    /** Checks that the tree {@code newRoot} of size {@code newSize} extends the tree {@code oldRoot}. */
    public static void verifyConsistency(long oldSize, long newSize, List<byte[]> proof, byte[] oldRoot,
            byte[] newRoot) throws ProofException {
        requireHash("old root", oldRoot);
        requireHash("new root", newRoot);
        if (oldSize < 0) {
            throw new ProofException("old tree size " + oldSize + " is negative");
        }
        if (oldSize > newSize) {
            throw new ProofException("old tree size " + oldSize + " is larger than new tree size " + newSize);
        }
        requireHashes(proof);
        if (oldSize == newSize) {
            if (!proof.isEmpty()) {
                throw new ProofException("consistency proof between trees of equal size " + oldSize
                        + " must be empty, has " + proof.size() + " hashes");
            }
            if (!Arrays.equals(oldRoot, newRoot)) {
                throw new ProofException("trees of equal size " + oldSize + " have different roots: "
                        + base64(oldRoot) + " and " + base64(newRoot));
            }
            return;
        }
        if (oldSize == 0) {
            if (!proof.isEmpty()) {
                throw new ProofException("consistency proof from the empty tree must be empty, has " + proof.size()
                        + " hashes");
            }
            if (!Arrays.equals(oldRoot, Rfc9162.emptyRoot())) {
                throw new ProofException("old root " + base64(oldRoot) + " is not the empty tree's root "
                        + base64(Rfc9162.emptyRoot()));
            }
            return;
        }

        int level = Long.numberOfTrailingZeros(oldSize);
        boolean oldIsPerfect = oldSize == 1L << level;
        int inner = 64 - Long.numberOfLeadingZeros((oldSize - 1) ^ (newSize - 1));
        int expected = inner - level + Long.bitCount((oldSize - 1) >>> inner) + (oldIsPerfect ? 0 : 1);
        if (proof.size() != expected) {
            throw new ProofException("consistency proof has " + proof.size() + " hashes; from tree size " + oldSize
                    + " to tree size " + newSize + " it needs " + expected);
        }

        // §2.1.4.2 step 3: when the old size is a power of two, the old root is the proof's implicit first hash
        int next = 0;
        byte[] first = oldIsPerfect ? oldRoot : proof.get(next++);
        long fn = oldSize - 1;
        long sn = newSize - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = first;
        byte[] sr = first;
        for (; next < proof.size(); next++) {
            byte[] c = proof.get(next);
            if ((fn & 1) == 1 || fn == sn) {
                fr = Rfc9162.nodeHash(c, fr);
                sr = Rfc9162.nodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                sr = Rfc9162.nodeHash(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (!Arrays.equals(fr, oldRoot)) {
            throw new ProofException("consistency proof leads to old root " + base64(fr) + ", expected "
                    + base64(oldRoot));
        }
        if (!Arrays.equals(sr, newRoot)) {
            throw new ProofException("consistency proof leads to new root " + base64(sr) + ", expected "
                    + base64(newRoot));
        }
    }

    private static void requireHashes(List<byte[]> proof) throws ProofException {
        for (int i = 0; i < proof.size(); i++) {
            requireHash("proof hash " + i, proof.get(i));
        }
    }

    private static void requireHash(String what, byte[] hash) throws ProofException {
        if (hash.length != Rfc9162.HASH_SIZE) {
            throw new ProofException(what + " has " + hash.length + " bytes, not " + Rfc9162.HASH_SIZE);
        }
    }

    private static String base64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }
}
