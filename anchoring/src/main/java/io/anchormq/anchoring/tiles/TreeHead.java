package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.Sha256Hash;
import java.util.Objects;

/** What a checkpoint commits to: the tree size and the RFC 9162 root hash of that tree. */
public record TreeHead(long size, Sha256Hash rootHash) {

    public TreeHead {
        if (size < 0) {
            throw new IllegalArgumentException("negative tree size " + size);
        }
        Objects.requireNonNull(rootHash, "rootHash");
    }
}
