package io.anchormq.anchoring.log;

import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.SignedNote;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What one {@link WorkspaceLog#append} made durable: entries {@code firstIndex} to {@code size - 1}, their leaf
 * hashes in order, and the signed checkpoint of the new tree of {@code size} entries. Hashes are copied in and out.
 */
public record AppendedBatch(long firstIndex, List<byte[]> leafHashes, long size, String checkpoint) {

    public AppendedBatch {
        Objects.requireNonNull(checkpoint, "checkpoint");
        leafHashes = leafHashes.stream().map(byte[]::clone).toList();
        if (firstIndex < 0 || firstIndex + leafHashes.size() != size) {
            throw new IllegalArgumentException("a batch of " + leafHashes.size() + " entries from index " + firstIndex
                    + " does not end at tree size " + size);
        }
    }

    @Override
    public List<byte[]> leafHashes() {
        return leafHashes.stream().map(byte[]::clone).toList();
    }

    /** The root hash of the tree of {@code size} entries, from the checkpoint (what a chain anchor commits to). */
    public byte[] root() {
        return Checkpoint.parse(SignedNote.parse(checkpoint).text()).root();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AppendedBatch b && firstIndex == b.firstIndex && size == b.size
                && checkpoint.equals(b.checkpoint)
                && Arrays.deepEquals(leafHashes.toArray(), b.leafHashes.toArray());
    }

    @Override
    public int hashCode() {
        return Objects.hash(firstIndex, size, checkpoint, Arrays.deepHashCode(leafHashes.toArray()));
    }

    @Override
    public String toString() {
        return "AppendedBatch[entries " + firstIndex + ".." + (size - 1) + ", size " + size + "]";
    }
}
