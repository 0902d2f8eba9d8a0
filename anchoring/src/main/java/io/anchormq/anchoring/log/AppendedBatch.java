package io.anchormq.anchoring.log;

import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.merkle.Sha256Hash;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.SignedNote;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What one {@link WorkspaceLog#append} made durable: entries {@code firstIndex} to {@code size - 1}, their leaf
 * hashes in order, and the signed checkpoint of the new tree of {@code size} entries.
 */
public final class AppendedBatch {

    private final long firstIndex;
    /** The leaf hashes one after another, 32 bytes each: one array per batch, not two objects per entry. */
    private final byte[] leafHashes;
    private final long size;
    private final String checkpoint;

    /** @param leafHashes the entries' leaf hashes, concatenated in order (kept, not copied) */
    AppendedBatch(long firstIndex, byte[] leafHashes, long size, String checkpoint) {
        this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
        this.leafHashes = Objects.requireNonNull(leafHashes, "leafHashes");
        int count = leafHashes.length / Rfc9162.HASH_SIZE;
        if (leafHashes.length % Rfc9162.HASH_SIZE != 0 || firstIndex < 0 || firstIndex + count != size) {
            throw new IllegalArgumentException("a batch of " + leafHashes.length + " bytes of leaf hashes from index "
                    + firstIndex + " does not end at tree size " + size);
        }
        this.firstIndex = firstIndex;
        this.size = size;
    }

    public long firstIndex() {
        return firstIndex;
    }

    /** The leaf hashes of the batch's entries, in order, as copies. */
    public List<byte[]> leafHashes() {
        List<byte[]> hashes = new ArrayList<>((int) (size - firstIndex));
        for (int at = 0; at < leafHashes.length; at += Rfc9162.HASH_SIZE) {
            hashes.add(Arrays.copyOfRange(leafHashes, at, at + Rfc9162.HASH_SIZE));
        }
        return hashes;
    }

    /** The leaf hash of the batch's entry {@code i} (0 is entry {@link #firstIndex()}). */
    public Sha256Hash leafHash(int i) {
        Objects.checkIndex(i, (int) (size - firstIndex));
        return Sha256Hash.of(Arrays.copyOfRange(leafHashes, i * Rfc9162.HASH_SIZE, (i + 1) * Rfc9162.HASH_SIZE),
                "leaf hash");
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
                && checkpoint.equals(b.checkpoint) && Arrays.equals(leafHashes, b.leafHashes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(firstIndex, size, checkpoint, Arrays.hashCode(leafHashes));
    }

    @Override
    public String toString() {
        return "AppendedBatch[entries " + firstIndex + ".." + (size - 1) + ", size " + size + "]";
    }
}
