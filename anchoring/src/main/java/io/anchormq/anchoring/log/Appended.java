package io.anchormq.anchoring.log;

import io.anchormq.anchoring.merkle.Sha256Hash;
import java.util.Objects;

/**
 * A message is in its workspace's log, durably: entry {@code index}, whose leaf hash is {@code leafHash}, is inside
 * the tree of the signed {@code checkpoint} (a C2SP signed note).
 */
public record Appended(String workspace, long index, Sha256Hash leafHash, String checkpoint) {

    public Appended {
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(leafHash, "leafHash");
        Objects.requireNonNull(checkpoint, "checkpoint");
        if (index < 0) {
            throw new IllegalArgumentException("index " + index + " is negative");
        }
    }
}
