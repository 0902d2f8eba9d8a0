package io.anchormq.anchoring.log;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A message is in its workspace's log, durably: entry {@code index}, whose leaf hash is {@code leafHash}, is inside
 * the tree of the signed {@code checkpoint} (a C2SP signed note). The hash is copied in and out.
 */
public record Appended(String workspace, long index, byte[] leafHash, String checkpoint) {

    public Appended {
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(checkpoint, "checkpoint");
        if (index < 0) {
            throw new IllegalArgumentException("index " + index + " is negative");
        }
        if (leafHash.length != Rfc9162.HASH_SIZE) {
            throw new IllegalArgumentException("leaf hash has " + leafHash.length + " bytes, not " + Rfc9162.HASH_SIZE);
        }
        leafHash = leafHash.clone();
    }

    @Override
    public byte[] leafHash() {
        return leafHash.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Appended a && workspace.equals(a.workspace) && index == a.index
                && Arrays.equals(leafHash, a.leafHash) && checkpoint.equals(a.checkpoint);
    }

    @Override
    public int hashCode() {
        return Objects.hash(workspace, index, Arrays.hashCode(leafHash), checkpoint);
    }

    @Override
    public String toString() {
        return "Appended[workspace=" + workspace + ", index=" + index + ", leafHash="
                + Base64.getEncoder().encodeToString(leafHash) + "]";
    }
}
