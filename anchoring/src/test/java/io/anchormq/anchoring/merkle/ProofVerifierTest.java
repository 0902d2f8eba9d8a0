package io.anchormq.anchoring.merkle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProofVerifierTest {

    /** Every bit that matters for trees below 512 leaves, and two far above. */
    private static final int[] FLIPPED_BITS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 31, 62};

    private static final byte[] SOME_HASH =
            HexFormat.of().parseHex("abacaba000000000000000000000000000000000000000000060061e00123456");

    @Test
    void acceptsTheRfc6962VectorsAndRejectsTheirCorruptions() throws ProofException {
        InMemoryHashes tree = MerkleTreeTest.rfc6962Tree();
        for (int size = 1; size <= 8; size++) {
            byte[] root = MerkleTree.root(tree, size);
            for (int index = 0; index < size; index++) {
                byte[] leaf = tree.hash(0, index);
                List<byte[]> proof = MerkleTree.inclusionProof(tree, index, size);
                ProofVerifier.verifyInclusion(leaf, index, size, proof, root);
                assertInclusionCorruptionsRejected(leaf, index, size, proof, root);
            }
            for (int oldSize = 1; oldSize < size; oldSize++) {
                byte[] oldRoot = MerkleTree.root(tree, oldSize);
                List<byte[]> proof = MerkleTree.consistencyProof(tree, oldSize, size);
                ProofVerifier.verifyConsistency(oldSize, size, proof, oldRoot, root);
                assertConsistencyCorruptionsRejected(oldSize, size, proof, oldRoot, root);
            }
        }
    }

    @Test
    void randomTreesEveryProofVerifiesAndEveryFlippedBitIsRejected() throws ProofException {
        Random random = new Random(20240603);
        for (int size = 1; size <= 70; size++) {
            InMemoryHashes tree = InMemoryHashes.of(MerkleTreeTest.randomLeaves(random, size));
            byte[] root = MerkleTree.root(tree, size);
            for (int index = 0; index < size; index++) {
                byte[] leaf = tree.hash(0, index);
                List<byte[]> proof = MerkleTree.inclusionProof(tree, index, size);
                ProofVerifier.verifyInclusion(leaf, index, size, proof, root);

                rejectInclusion(flipBit(leaf, random), index, size, proof, root, "flipped leaf bit");
                rejectInclusion(leaf, index, size, proof, flipBit(root, random), "flipped root bit");
                for (int i = 0; i < proof.size(); i++) {
                    List<byte[]> flipped = new ArrayList<>(proof);
                    flipped.set(i, flipBit(proof.get(i), random));
                    rejectInclusion(leaf, index, size, flipped, root, "flipped bit in proof hash " + i);
                }
                for (int bit : FLIPPED_BITS) {
                    rejectInclusion(leaf, index ^ (1L << bit), size, proof, root, "index bit " + bit);
                }
            }
            for (int oldSize = 0; oldSize <= size; oldSize++) {
                byte[] oldRoot = MerkleTree.root(tree, oldSize);
                List<byte[]> proof = MerkleTree.consistencyProof(tree, oldSize, size);
                ProofVerifier.verifyConsistency(oldSize, size, proof, oldRoot, root);

                rejectConsistency(oldSize, size, proof, flipBit(oldRoot, random), root, "flipped old root bit");
                if (oldSize > 0) { // the empty tree is a prefix of every tree: nothing binds the new root
                    rejectConsistency(oldSize, size, proof, oldRoot, flipBit(root, random), "flipped new root bit");
                }
                for (int i = 0; i < proof.size(); i++) {
                    List<byte[]> flipped = new ArrayList<>(proof);
                    flipped.set(i, flipBit(proof.get(i), random));
                    rejectConsistency(oldSize, size, flipped, oldRoot, root, "flipped bit in proof hash " + i);
                }
            }
        }
    }

    /**
     * RFC 9162 proofs do not commit to the tree size on their own: a proof for one size also verifies, with the same
     * root, under another size that routes it through the same left/right turns (leaf 0 of a 7-leaf tree has proof
     * [b, i, l], which also reads as a proof in a 5-leaf tree whose last leaf hashes to l). The signed checkpoint
     * binds root and size together. So the exact property for a flipped size bit: rejected unless the turns are the
     * same, and then accepted.
     */
    @Test
    void aFlippedSizeBitIsRejectedUnlessTheProofTakesTheSameTurns() throws ProofException {
        Random random = new Random(4);
        int acceptedInclusion = 0;
        int acceptedConsistency = 0;
        for (int size = 1; size <= 70; size++) {
            InMemoryHashes tree = InMemoryHashes.of(MerkleTreeTest.randomLeaves(random, size));
            byte[] root = MerkleTree.root(tree, size);
            for (int index = 0; index < size; index++) {
                byte[] leaf = tree.hash(0, index);
                List<byte[]> proof = MerkleTree.inclusionProof(tree, index, size);
                String turns = inclusionTurns(index, size);
                for (int bit : FLIPPED_BITS) {
                    long other = size ^ (1L << bit);
                    if (index < other && turns.equals(inclusionTurns(index, other))) {
                        ProofVerifier.verifyInclusion(leaf, index, other, proof, root);
                        acceptedInclusion++;
                    } else {
                        rejectInclusion(leaf, index, other, proof, root, "size bit " + bit);
                    }
                }
            }
            for (int oldSize = 1; oldSize <= size; oldSize++) {
                byte[] oldRoot = MerkleTree.root(tree, oldSize);
                List<byte[]> proof = MerkleTree.consistencyProof(tree, oldSize, size);
                String turns = consistencyTurns(oldSize, size, true);
                for (int bit : FLIPPED_BITS) {
                    long otherOld = oldSize ^ (1L << bit);
                    long otherNew = size ^ (1L << bit);
                    if (0 < otherOld && otherOld <= size && turns.equals(consistencyTurns(otherOld, size, true))) {
                        ProofVerifier.verifyConsistency(otherOld, size, proof, oldRoot, root);
                        acceptedConsistency++;
                    } else {
                        rejectConsistency(otherOld, size, proof, oldRoot, root, "old size bit " + bit);
                    }
                    if (oldSize <= otherNew && turns.equals(consistencyTurns(oldSize, otherNew, true))) {
                        ProofVerifier.verifyConsistency(oldSize, otherNew, proof, oldRoot, root);
                        acceptedConsistency++;
                    } else {
                        rejectConsistency(oldSize, otherNew, proof, oldRoot, root, "new size bit " + bit);
                    }
                }
            }
        }
        // the loophole exists (so this test can see it) and is narrow
        assertTrue(acceptedInclusion > 0 && acceptedConsistency > 0, acceptedInclusion + " " + acceptedConsistency);
        byte[][] leaves = new byte[7][];
        for (int i = 0; i < 7; i++) {
            leaves[i] = Rfc9162.leafHash(new byte[] {(byte) i});
        }
        InMemoryHashes seven = InMemoryHashes.of(List.of(leaves));
        ProofVerifier.verifyInclusion(leaves[0], 0, 5, MerkleTree.inclusionProof(seven, 0, 7),
                MerkleTree.root(seven, 7));
    }

    /** The sides of the siblings of PATH(m, D[n]), leaf end first: R when the sibling is on the right. */
    private static String inclusionTurns(long m, long n) {
        if (n == 1) {
            return "";
        }
        long k = Long.highestOneBit(n - 1);
        return m < k ? inclusionTurns(m, k) + "R" : inclusionTurns(m - k, n - k) + "L";
    }

    /** The same for SUBPROOF(m, D[n], b); S stands for a subtree hash of the old tree itself. */
    private static String consistencyTurns(long m, long n, boolean b) {
        if (m == n) {
            return b ? "" : "S";
        }
        long k = Long.highestOneBit(n - 1);
        return m <= k ? consistencyTurns(m, k, b) + "R" : consistencyTurns(m - k, n - k, false) + "L";
    }

    @Test
    void messagesSayWhatFailed() throws ProofException {
        InMemoryHashes tree = MerkleTreeTest.rfc6962Tree();
        byte[] root = MerkleTree.root(tree, 8);
        byte[] leaf = tree.hash(0, 3);
        List<byte[]> proof = MerkleTree.inclusionProof(tree, 3, 8);
        String b64Root = Base64.getEncoder().encodeToString(root);

        assertMessage("leaf index 8 is out of range for tree size 8",
                () -> ProofVerifier.verifyInclusion(leaf, 8, 8, proof, root));
        assertMessage("leaf index -1 is out of range for tree size 8",
                () -> ProofVerifier.verifyInclusion(leaf, -1, 8, proof, root));
        assertMessage("inclusion proof has 2 hashes; the leaf at index 3 of a tree of size 8 needs 3",
                () -> ProofVerifier.verifyInclusion(leaf, 3, 8, proof.subList(0, 2), root));
        assertMessage("proof hash 1 has 31 bytes, not 32",
                () -> ProofVerifier.verifyInclusion(leaf, 3, 8, List.of(proof.get(0), new byte[31], proof.get(2)),
                        root));
        assertMessage("root has 0 bytes, not 32",
                () -> ProofVerifier.verifyInclusion(leaf, 3, 8, proof, new byte[0]));
        assertMessage("leaf hash has 9 bytes, not 32",
                () -> ProofVerifier.verifyInclusion("WrongLeaf".getBytes(), 3, 8, proof, root));
        byte[] wrongIndexRoot = ProofVerifier.rootFromInclusionProof(leaf, 2, 8, proof);
        assertMessage("inclusion proof leads to root " + b64(wrongIndexRoot) + ", expected " + b64Root,
                () -> ProofVerifier.verifyInclusion(leaf, 2, 8, proof, root));

        byte[] root6 = MerkleTree.root(tree, 6);
        List<byte[]> consistency = MerkleTree.consistencyProof(tree, 6, 8);
        assertMessage("old tree size 9 is larger than new tree size 8",
                () -> ProofVerifier.verifyConsistency(9, 8, consistency, root6, root));
        assertMessage("consistency proof between trees of equal size 8 must be empty, has 3 hashes",
                () -> ProofVerifier.verifyConsistency(8, 8, consistency, root, root));
        assertMessage("trees of equal size 6 have different roots: " + b64(root6) + " and " + b64Root,
                () -> ProofVerifier.verifyConsistency(6, 6, List.of(), root6, root));
        assertMessage("consistency proof from the empty tree must be empty, has 3 hashes",
                () -> ProofVerifier.verifyConsistency(0, 8, consistency, Rfc9162.emptyRoot(), root));
        assertMessage("old root " + b64(root6) + " is not the empty tree's root " + b64(Rfc9162.emptyRoot()),
                () -> ProofVerifier.verifyConsistency(0, 8, List.of(), root6, root));
        assertMessage("consistency proof has 0 hashes; from tree size 6 to tree size 8 it needs 3",
                () -> ProofVerifier.verifyConsistency(6, 8, List.of(), root6, root));
        assertMessage("consistency proof leads to new root " + b64Root + ", expected " + b64(root6),
                () -> ProofVerifier.verifyConsistency(6, 8, consistency, root6, root6));
        assertMessage("consistency proof leads to old root " + b64(root6) + ", expected " + b64Root,
                () -> ProofVerifier.verifyConsistency(6, 8, consistency, root, root));
    }

    @Test
    void trivialConsistencyCases() throws ProofException {
        byte[] empty = Rfc9162.emptyRoot();
        ProofVerifier.verifyConsistency(0, 0, List.of(), empty, empty);
        ProofVerifier.verifyConsistency(0, 1, List.of(), empty, SOME_HASH);
        ProofVerifier.verifyConsistency(1, 1, List.of(), SOME_HASH, SOME_HASH);
        assertThrows(ProofException.class, () -> ProofVerifier.verifyConsistency(1, 0, List.of(), empty, empty));
        assertThrows(ProofException.class, () -> ProofVerifier.verifyConsistency(2, 1, List.of(), empty, empty));
        assertThrows(ProofException.class, () -> ProofVerifier.verifyConsistency(1, 2, List.of(), empty, empty));
        assertThrows(ProofException.class, () -> ProofVerifier.verifyConsistency(0, 0, List.of(empty), empty,
                empty));
        assertThrows(ProofException.class, () -> ProofVerifier.verifyConsistency(0, 1, List.of(empty), empty,
                empty));
        assertThrows(ProofException.class, () -> ProofVerifier.verifyConsistency(1, 1, List.of(empty), empty,
                empty));
        assertThrows(ProofException.class, () -> ProofVerifier.verifyConsistency(-1, 1, List.of(), empty, empty));
    }

    /** The probes of transparency-dev/merkle's corruptInclusionProof. */
    private static void assertInclusionCorruptionsRejected(byte[] leaf, long index, long size, List<byte[]> proof,
            byte[] root) {
        rejectInclusion(leaf, index - 1, size, proof, root, "index - 1");
        rejectInclusion(leaf, index + 1, size, proof, root, "index + 1");
        rejectInclusion(leaf, index ^ 2, size, proof, root, "index ^ 2");
        rejectInclusion(leaf, index, size * 2, proof, root, "size * 2");
        rejectInclusion(leaf, index, size / 2, proof, root, "size / 2");
        rejectInclusion(leaf, index, size, proof, Rfc9162.emptyRoot(), "empty root");
        rejectInclusion(leaf, index, size, proof, SOME_HASH, "random root");
        rejectInclusion(leaf, index, size, append(proof, new byte[0]), root, "trailing garbage");
        rejectInclusion(leaf, index, size, append(proof, root), root, "trailing root");
        rejectInclusion(leaf, index, size, prepend(new byte[0], proof), root, "preceding garbage");
        rejectInclusion(leaf, index, size, prepend(root, proof), root, "preceding root");
        for (int i = 0; i < proof.size(); i++) {
            List<byte[]> wrong = new ArrayList<>(proof);
            byte[] h = proof.get(i).clone();
            h[0] ^= 8;
            wrong.set(i, h);
            rejectInclusion(leaf, index, size, wrong, root, "modified proof[" + i + "] bit 3");
        }
        if (!proof.isEmpty()) {
            rejectInclusion(leaf, index, size, proof.subList(0, proof.size() - 1), root, "removed component");
        }
        if (proof.size() > 1) {
            List<byte[]> inserted = new ArrayList<>(proof);
            inserted.add(1, SOME_HASH);
            rejectInclusion(leaf, index, size, inserted, root, "inserted component");
        }
    }

    /** The probes of transparency-dev/merkle's corruptConsistencyProof. */
    private static void assertConsistencyCorruptionsRejected(long size1, long size2, List<byte[]> proof,
            byte[] root1, byte[] root2) {
        rejectConsistency(size1 - 1, size2, proof, root1, root2, "size1 - 1");
        rejectConsistency(size1 + 1, size2, proof, root1, root2, "size1 + 1");
        rejectConsistency(size1 ^ 2, size2, proof, root1, root2, "size1 ^ 2");
        rejectConsistency(size1, size2 * 2, proof, root1, root2, "size2 * 2");
        rejectConsistency(size1, size2 / 2, proof, root1, root2, "size2 / 2");
        rejectConsistency(size1, size2, proof, SOME_HASH, root2, "wrong root1");
        rejectConsistency(size1, size2, proof, root1, SOME_HASH, "wrong root2");
        rejectConsistency(size1, size2, proof, root2, root1, "swapped roots");
        rejectConsistency(size1, size2, List.of(), root1, root2, "empty proof");
        rejectConsistency(size1, size2, append(proof, new byte[0]), root1, root2, "trailing garbage");
        rejectConsistency(size1, size2, append(proof, root1), root1, root2, "trailing root1");
        rejectConsistency(size1, size2, append(proof, root2), root1, root2, "trailing root2");
        rejectConsistency(size1, size2, prepend(new byte[0], proof), root1, root2, "preceding garbage");
        rejectConsistency(size1, size2, prepend(root1, proof), root1, root2, "preceding root1");
        rejectConsistency(size1, size2, prepend(root2, proof), root1, root2, "preceding root2");
        rejectConsistency(size1, size2, prepend(proof.get(0), proof), root1, root2, "preceding proof[0]");
        rejectConsistency(size1, size2, proof.subList(0, proof.size() - 1), root1, root2, "truncated proof");
        for (int i = 0; i < proof.size(); i++) {
            List<byte[]> wrong = new ArrayList<>(proof);
            byte[] h = proof.get(i).clone();
            h[0] ^= 16;
            wrong.set(i, h);
            rejectConsistency(size1, size2, wrong, root1, root2, "modified proof[" + i + "] bit 4");
        }
    }

    private static void rejectInclusion(byte[] leaf, long index, long size, List<byte[]> proof, byte[] root,
            String what) {
        try {
            ProofVerifier.verifyInclusion(leaf, index, size, proof, root);
            fail("inclusion verified despite " + what + " (index " + index + ", size " + size + ")");
        } catch (ProofException expected) {
            // rejected, as it must be
        }
    }

    private static void rejectConsistency(long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2,
            String what) {
        try {
            ProofVerifier.verifyConsistency(size1, size2, proof, root1, root2);
            fail("consistency verified despite " + what + " (" + size1 + " -> " + size2 + ")");
        } catch (ProofException expected) {
            // rejected, as it must be
        }
    }

    private static void assertMessage(String expected, Verification verification) {
        assertEquals(expected, assertThrows(ProofException.class, verification::run).getMessage());
    }

    private interface Verification {
        void run() throws ProofException;
    }

    private static byte[] flipBit(byte[] hash, Random random) {
        byte[] flipped = hash.clone();
        int bit = random.nextInt(flipped.length * 8);
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        return flipped;
    }

    private static List<byte[]> append(List<byte[]> proof, byte[] hash) {
        List<byte[]> out = new ArrayList<>(proof);
        out.add(hash);
        return out;
    }

    private static List<byte[]> prepend(byte[] hash, List<byte[]> proof) {
        List<byte[]> out = new ArrayList<>();
        out.add(hash);
        out.addAll(proof);
        return out;
    }

    private static String b64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }
}
