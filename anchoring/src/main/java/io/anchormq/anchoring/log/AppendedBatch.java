package io.anchormq.anchoring.log;

import io.anchormq.anchoring.merkle.Sha256Hash;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.SignedNote;
import java.util.List;
import java.util.Objects;

/**
 * What one {@link WorkspaceLog#append} made durable: entries {@code firstIndex} to {@code size - 1}, their leaf
 * hashes in order, and the signed checkpoint of the new tree of {@code size} entries.
 */
public final class AppendedBatch {

    private final long firstIndex;
    private final List<Sha256Hash> leafHashes;
    private final long size;
    private final String checkpoint;

    AppendedBatch(long firstIndex, List<Sha256Hash> leafHashes, long size, String checkpoint) {
        this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
        this.leafHashes = List.copyOf(leafHashes);
        if (firstIndex < 0 || firstIndex + leafHashes.size() != size) {
            throw new IllegalArgumentException("a batch of " + leafHashes.size() + " entries from index " + firstIndex
                    + " does not end at tree size " + size);
        }
        this.firstIndex = firstIndex;
        this.size = size;
    }

    public long firstIndex() {
        return firstIndex;
    }

    /** The leaf hashes of the batch's entries, in order, as copies. */
    public List<byte[]> leafHashes() {
        return leafHashes.stream().map(Sha256Hash::bytes).toList();
    }

    /** The leaf hash of the batch's entry {@code i} (0 is entry {@link #firstIndex()}). */
    public Sha256Hash leafHash(int i) {
        return leafHashes.get(i);
    }

    /** The tree size after the batch. */
    public long size() {
        return size;
    }

    /** The signed checkpoint (C2SP signed note) of the tree of {@link #size()} entries. */
    public String checkpoint() {
        return checkpoint;
    }

    /** The root hash of the tree of {@code size} entries, from the checkpoint (what a chain anchor commits to). */
    public byte[] root() {
        return Checkpoint.parse(SignedNote.parse(checkpoint).text()).root();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AppendedBatch b && firstIndex == b.firstIndex && size == b.size
                && checkpoint.equals(b.checkpoint) && leafHashes.equals(b.leafHashes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(firstIndex, size, checkpoint, leafHashes);
    }

    @Override
    public String toString() {
        return "AppendedBatch[entries " + firstIndex + ".." + (size - 1) + ", size " + size + "]";
    }
}
