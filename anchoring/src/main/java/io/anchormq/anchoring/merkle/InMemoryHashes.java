package io.anchormq.anchoring.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * Every perfect-subtree hash of a growing list of leaf hashes, in memory: a {@link HashReader} for tests and for
 * building tiles. Appending a leaf stores the new leaf and each perfect subtree it completes (amortised two hash
 * operations per leaf). Not thread-safe.
 */
public final class InMemoryHashes implements HashReader {

    /** levels.get(k).get(i) is the node at level k, index i. */
    private final List<List<byte[]>> levels = new ArrayList<>();

    public InMemoryHashes() {
        levels.add(new ArrayList<>());
    }

    /** The hashes of a tree over {@code leafHashes}, in order. */
    public static InMemoryHashes of(List<byte[]> leafHashes) {
        InMemoryHashes hashes = new InMemoryHashes();
        leafHashes.forEach(hashes::append);
        return hashes;
    }

    /** Appends a leaf hash (already {@link Rfc9162#leafHash hashed}) and returns its index. */
    public long append(byte[] leafHash) {
        if (leafHash.length != Rfc9162.HASH_SIZE) {
            throw new IllegalArgumentException("a leaf hash has 32 bytes, not " + leafHash.length);
        }
        byte[] hash = leafHash.clone();
        long index = size();
        for (int level = 0; ; level++) {
            List<byte[]> row = levels.get(level);
            row.add(hash);
            // a right child completes its parent
            if ((row.size() & 1) == 1) {
                return index;
            }
            if (level + 1 == levels.size()) {
                levels.add(new ArrayList<>());
            }
            hash = Rfc9162.nodeHash(row.get(row.size() - 2), hash);
        }
    }

    /** The number of leaves. */
    public long size() {
        return levels.get(0).size();
    }

    @Override
    public byte[] hash(int level, long index) {
        if (level < 0 || level >= levels.size() || index < 0 || index >= levels.get(level).size()) {
            throw new IndexOutOfBoundsException("no complete subtree at level " + level + " index " + index
                    + " in a tree of " + size() + " leaves");
        }
        return levels.get(level).get((int) index).clone();
    }
}
