package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.util.Arrays;
import java.util.Base64;

/** What a checkpoint commits to: the tree size and the RFC 9162 root hash of that tree. */
public record TreeHead(long size, byte[] rootHash) {

    public TreeHead {
        if (size < 0) {
            throw new IllegalArgumentException("negative tree size " + size);
        }
        if (rootHash == null || rootHash.length != Rfc9162.HASH_SIZE) {
            throw new IllegalArgumentException("root hash must be " + Rfc9162.HASH_SIZE + " bytes");
        }
        rootHash = rootHash.clone();
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TreeHead t && t.size == size && Arrays.equals(t.rootHash, rootHash);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(size) * 31 + Arrays.hashCode(rootHash);
    }

    @Override
    public String toString() {
        return "TreeHead[size=" + size + ", root=" + Base64.getEncoder().encodeToString(rootHash) + "]";
    }
}
