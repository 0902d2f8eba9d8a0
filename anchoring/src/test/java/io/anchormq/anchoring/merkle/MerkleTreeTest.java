package io.anchormq.anchoring.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MerkleTreeTest {

    private static final HexFormat HEX = HexFormat.of();

    /** The leaves of the RFC 6962 test tree used by transparency-dev/merkle and Certificate Transparency. */
    static final List<byte[]> RFC6962_LEAVES = List.of(
            hex(""), hex("00"), hex("10"), hex("2021"), hex("3031"), hex("40414243"),
            hex("5051525354555657"), hex("606162636465666768696a6b6c6d6e6f"));

    /** Roots of the trees over the first 1..8 of those leaves (transparency-dev/merkle proof/verify_test.go). */
    static final List<String> RFC6962_ROOTS = List.of(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");

    static InMemoryHashes rfc6962Tree() {
        return InMemoryHashes.of(RFC6962_LEAVES.stream().map(Rfc9162::leafHash).toList());
    }

    @Test
    void rootsOfTheRfc6962TestTree() {
        InMemoryHashes tree = rfc6962Tree();
        for (int size = 1; size <= 8; size++) {
            assertEquals(RFC6962_ROOTS.get(size - 1), HEX.formatHex(MerkleTree.root(tree, size)), "size " + size);
        }
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                HEX.formatHex(MerkleTree.root(tree, 0)));
    }

    @Test
    void inclusionProofsOfTheRfc6962TestTree() {
        InMemoryHashes tree = rfc6962Tree();
        assertEquals(List.of(), hexes(MerkleTree.inclusionProof(tree, 0, 1)));
        assertEquals(List.of(
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                hexes(MerkleTree.inclusionProof(tree, 0, 8)));
        assertEquals(List.of(
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                hexes(MerkleTree.inclusionProof(tree, 5, 8)));
        assertEquals(List.of("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
                hexes(MerkleTree.inclusionProof(tree, 2, 3)));
        assertEquals(List.of(
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                hexes(MerkleTree.inclusionProof(tree, 1, 5)));
    }

    @Test
    void consistencyProofsOfTheRfc6962TestTree() {
        InMemoryHashes tree = rfc6962Tree();
        assertEquals(List.of(), hexes(MerkleTree.consistencyProof(tree, 1, 1)));
        assertEquals(List.of(
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                hexes(MerkleTree.consistencyProof(tree, 1, 8)));
        assertEquals(List.of(
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                hexes(MerkleTree.consistencyProof(tree, 6, 8)));
        assertEquals(List.of(
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                hexes(MerkleTree.consistencyProof(tree, 2, 5)));
        assertEquals(List.of(
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                hexes(MerkleTree.consistencyProof(tree, 6, 7)));
    }

    /** The worked 7-leaf example of C2SP merkle-tree, labels as in the specification. */
    @Test
    void c2spSevenLeafExample() {
        List<byte[]> d = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            d.add(("d[" + i + "]").getBytes(StandardCharsets.US_ASCII));
        }
        byte[] a = Rfc9162.leafHash(d.get(0));
        byte[] b = Rfc9162.leafHash(d.get(1));
        byte[] c = Rfc9162.leafHash(d.get(2));
        byte[] dd = Rfc9162.leafHash(d.get(3));
        byte[] e = Rfc9162.leafHash(d.get(4));
        byte[] f = Rfc9162.leafHash(d.get(5));
        byte[] g = Rfc9162.leafHash(d.get(6));
        byte[] h = Rfc9162.nodeHash(a, b);
        byte[] i = Rfc9162.nodeHash(c, dd);
        byte[] j = Rfc9162.nodeHash(e, f);
        byte[] k = Rfc9162.nodeHash(h, i);
        byte[] l = Rfc9162.nodeHash(j, g);
        byte[] root = Rfc9162.nodeHash(k, l);

        InMemoryHashes tree = InMemoryHashes.of(List.of(a, b, c, dd, e, f, g));
        assertArrayEquals(root, MerkleTree.root(tree, 7));

        assertHashes(List.of(b, i, l), MerkleTree.inclusionProof(tree, 0, 7));
        assertHashes(List.of(c, h, l), MerkleTree.inclusionProof(tree, 3, 7));
        assertHashes(List.of(f, g, k), MerkleTree.inclusionProof(tree, 4, 7));
        assertHashes(List.of(j, k), MerkleTree.inclusionProof(tree, 6, 7));

        assertHashes(List.of(c, dd, h, l), MerkleTree.consistencyProof(tree, 3, 7));
        assertHashes(List.of(l), MerkleTree.consistencyProof(tree, 4, 7));
        assertHashes(List.of(j, g, k), MerkleTree.consistencyProof(tree, 6, 7));
    }

    @Test
    void agreesWithTheRecursiveDefinitionsOnRandomTrees() {
        Random random = new Random(9162);
        for (int size = 1; size <= 140; size++) {
            List<byte[]> leaves = randomLeaves(random, size);
            InMemoryHashes tree = InMemoryHashes.of(leaves);
            assertArrayEquals(ReferenceTree.mth(leaves), MerkleTree.root(tree, size), "root of size " + size);
            for (int m = 0; m < size; m++) {
                assertHashes(ReferenceTree.path(m, leaves), MerkleTree.inclusionProof(tree, m, size));
            }
            for (int m = 1; m <= size; m++) {
                assertHashes(ReferenceTree.proof(m, leaves.subList(0, size)),
                        MerkleTree.consistencyProof(tree, m, size));
            }
        }
    }

    @Test
    void inMemoryHashesStoreEveryPerfectSubtree() {
        Random random = new Random(7);
        List<byte[]> leaves = randomLeaves(random, 37);
        InMemoryHashes tree = InMemoryHashes.of(leaves);
        assertEquals(37, tree.size());
        for (int level = 0; level <= 5; level++) {
            int width = 1 << level;
            for (int index = 0; (index + 1) * width <= 37; index++) {
                assertArrayEquals(ReferenceTree.mth(leaves.subList(index * width, (index + 1) * width)),
                        tree.hash(level, index), "level " + level + " index " + index);
            }
        }
        assertThrows(IndexOutOfBoundsException.class, () -> tree.hash(0, 37));
        assertThrows(IndexOutOfBoundsException.class, () -> tree.hash(3, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> tree.hash(6, 0));
        assertThrows(IllegalArgumentException.class, () -> tree.append(new byte[31]));
        byte[] returned = tree.hash(0, 0);
        returned[0] ^= 1;
        assertArrayEquals(leaves.get(0), tree.hash(0, 0), "callers cannot change the stored hashes");
    }

    /** Sizes near 2^62 with a reader that makes up hashes: the work is logarithmic, nothing is materialised. */
    @Test
    void readsLogarithmicallyManyHashesOfHugeTrees() {
        AtomicInteger reads = new AtomicInteger();
        HashReader madeUp = (level, index) -> {
            reads.incrementAndGet();
            return Rfc9162.sha256(ByteBuffer.allocate(12).putInt(level).putLong(index).array());
        };
        Random random = new Random(62);
        for (int round = 0; round < 200; round++) {
            long size = 1 + (random.nextLong() >>> 2);
            long index = Math.floorMod(random.nextLong(), size);
            long oldSize = 1 + Math.floorMod(random.nextLong(), size);

            reads.set(0);
            MerkleTree.root(madeUp, size);
            assertTrue(reads.get() <= 63, "root read " + reads.get());

            reads.set(0);
            List<byte[]> inclusion = MerkleTree.inclusionProof(madeUp, index, size);
            assertTrue(inclusion.size() <= 63 && reads.get() <= 2 * 63, "inclusion read " + reads.get());

            reads.set(0);
            List<byte[]> consistency = MerkleTree.consistencyProof(madeUp, oldSize, size);
            assertTrue(consistency.size() <= 64 && reads.get() <= 2 * 64, "consistency read " + reads.get());
        }
    }

    @Test
    void rejectsImpossibleArguments() {
        InMemoryHashes tree = rfc6962Tree();
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.root(tree, -1));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.inclusionProof(tree, 8, 8));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.inclusionProof(tree, -1, 8));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.inclusionProof(tree, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.consistencyProof(tree, 5, 4));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.consistencyProof(tree, -1, 4));
        assertEquals(List.of(), MerkleTree.consistencyProof(tree, 0, 8));
        IllegalStateException broken = assertThrows(IllegalStateException.class,
                () -> MerkleTree.root((level, index) -> new byte[5], 3));
        assertEquals("the hash reader returned 5 bytes for level 1 index 0", broken.getMessage());
    }

    static List<byte[]> randomLeaves(Random random, int count) {
        List<byte[]> leaves = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] entry = new byte[1 + random.nextInt(40)];
            random.nextBytes(entry);
            leaves.add(Rfc9162.leafHash(entry));
        }
        return leaves;
    }

    private static void assertHashes(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(hexes(expected), hexes(actual));
    }

    private static List<String> hexes(List<byte[]> hashes) {
        return hashes.stream().map(HEX::formatHex).toList();
    }

    private static byte[] hex(String s) {
        return HEX.parseHex(s);
    }
}
