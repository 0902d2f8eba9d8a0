package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.io.Closeable;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Every perfect-subtree hash of the tree, one file per tree level ({@code <dir>/<level>}, hash i at byte 32·i),
 * memory-mapped. A proof needs ~log2(n) hashes at many levels; tiles only hold every 8th level, so serving from them
 * means rehashing up to 255 nodes per level, and reading files per request means syscalls. Here a hash is a memory
 * read. The files take about twice the space of the level 0 tiles.
 *
 * <p>This is a cache derived from the tiles: it is never fsync'ed, and {@link TileStore} recomputes and compares
 * every hash on open, repairing what differs. Readers may run concurrently with the writer as long as they only ask
 * for hashes that were published to them (through a volatile tree size) after being written. {@link #reserve} is
 * for one thread; {@link #put} and {@link #extend} may run in several threads on disjoint ranges.
 */
final class HashIndex implements Closeable {

    /** Tree levels 0..62: a tree of fewer than 2^63 leaves has no perfect subtree of level 63. */
    static final int LEVELS = 63;

    private final Path dir;
    private final LevelFile[] levels = new LevelFile[LEVELS];

    HashIndex(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /** Maps enough of every level file to hold the hashes of a tree of {@code treeSize} leaves. */
    void reserve(long treeSize) throws IOException {
        for (int level = 0; level < LEVELS && treeSize >>> level > 0; level++) {
            if (levels[level] == null) {
                levels[level] = new LevelFile(dir.resolve(Integer.toString(level)));
            }
            levels[level].reserve(treeSize >>> level);
        }
    }

    byte[] get(int level, long index) {
        byte[] hash = new byte[Rfc9162.HASH_SIZE];
        levels[level].get(index, hash);
        return hash;
    }

    /** Stores a hash; returns whether the stored bytes differed (a repair, when rebuilding). */
    boolean put(int level, long index, byte[] hash) {
        LevelFile file = levels[level];
        if (file.holds(index, hash)) {
            return false;
        }
        file.put(index, hash);
        return true;
    }

    /**
     * Computes the interior nodes that become complete when the tree grows from {@code fromSize} to {@code toSize}
     * leaves, given the leaf hashes of [0, toSize) and the nodes of the tree of {@code fromSize}. Returns how many
     * stored hashes differed.
     */
    long extend(long fromSize, long toSize) {
        return extend(fromSize, toSize, 1, LEVELS - 1);
    }

    /** {@link #extend(long, long)} restricted to the tree levels {@code firstLevel..lastLevel}. */
    long extend(long fromSize, long toSize, int firstLevel, int lastLevel) {
        long repaired = 0;
        // scratch for this call (callers may extend disjoint ranges in parallel): no arrays per node
        byte[] left = new byte[Rfc9162.HASH_SIZE];
        byte[] right = new byte[Rfc9162.HASH_SIZE];
        for (int level = firstLevel; level <= lastLevel; level++) {
            long first = fromSize >>> level;
            long end = toSize >>> level;
            if (first == end) {
                break; // no new node here, so none above either
            }
            LevelFile below = levels[level - 1];
            for (long i = first; i < end; i++) {
                below.get(2 * i, left);
                below.get(2 * i + 1, right);
                Rfc9162.nodeHash(left, right, left);
                if (put(level, i, left)) {
                    repaired++;
                }
            }
        }
        return repaired;
    }

    /** RFC 9162 root of the first {@code treeSize} leaves: its perfect subtrees folded from the right. */
    byte[] root(long treeSize) {
        if (treeSize == 0) {
            return Rfc9162.emptyRoot();
        }
        byte[] root = null;
        long end = treeSize;
        for (int level = 0; level < LEVELS; level++) {
            if ((treeSize >>> level & 1) == 1) {
                long start = end - (1L << level);
                byte[] subtree = get(level, start >>> level);
                root = root == null ? subtree : Rfc9162.nodeHash(subtree, root);
                end = start;
            }
        }
        return root;
    }

    @Override
    public void close() throws IOException {
        for (LevelFile file : levels) {
            if (file != null) {
                file.channel.close(); // the mappings stay valid until collected; Java 17 cannot unmap
            }
        }
    }

    /**
     * One level's file, mapped in chunks: a MappedByteBuffer is limited to 2 GiB. The last chunk's mapping grows by
     * doubling, so small logs keep small (sparse) files while remapping stays rare.
     */
    private static final class LevelFile {

        private static final int CHUNK_SHIFT = 25; // 2^25 hashes = 1 GiB per chunk
        private static final long CHUNK_HASHES = 1L << CHUNK_SHIFT;
        private static final long MIN_MAPPED_HASHES = 1L << 12; // 128 KiB

        private final FileChannel channel;
        /** Replaced (never mutated) when growing, so a reader always sees a consistent set of mappings. */
        private volatile MappedByteBuffer[] chunks = new MappedByteBuffer[0];
        private long mappedHashes;

        LevelFile(Path file) throws IOException {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }

        void reserve(long hashes) throws IOException {
            if (hashes <= mappedHashes) {
                return;
            }
            int chunkCount = (int) ((hashes + CHUNK_HASHES - 1) >>> CHUNK_SHIFT);
            long inLastChunk = hashes - ((long) (chunkCount - 1) << CHUNK_SHIFT);
            long lastChunkHashes = Math.min(CHUNK_HASHES,
                    Math.max(MIN_MAPPED_HASHES, Long.highestOneBit(inLastChunk - 1) << 1));
            MappedByteBuffer[] old = chunks;
            MappedByteBuffer[] grown = Arrays.copyOf(old, chunkCount);
            for (int c = Math.max(0, old.length - 1); c < chunkCount; c++) {
                long chunkHashes = c == chunkCount - 1 ? lastChunkHashes : CHUNK_HASHES;
                if (grown[c] == null || grown[c].capacity() < chunkHashes * Rfc9162.HASH_SIZE) {
                    // Mapping read-write past the end extends the file (sparsely) to the mapped size.
                    grown[c] = channel.map(FileChannel.MapMode.READ_WRITE, c * CHUNK_HASHES * Rfc9162.HASH_SIZE,
                            chunkHashes * Rfc9162.HASH_SIZE);
                }
            }
            chunks = grown;
            mappedHashes = ((long) (chunkCount - 1) << CHUNK_SHIFT) + lastChunkHashes;
        }

        void get(long index, byte[] dst) {
            chunks[(int) (index >>> CHUNK_SHIFT)].get(offset(index), dst);
        }

        void put(long index, byte[] hash) {
            chunks[(int) (index >>> CHUNK_SHIFT)].put(offset(index), hash);
        }

        /** Whether hash {@code index} is {@code hash} already, compared in place. */
        boolean holds(long index, byte[] hash) {
            MappedByteBuffer chunk = chunks[(int) (index >>> CHUNK_SHIFT)];
            int at = offset(index);
            for (int i = 0; i < hash.length; i++) {
                if (chunk.get(at + i) != hash[i]) {
                    return false;
                }
            }
            return true;
        }

        private static int offset(long index) {
            return (int) (index & (CHUNK_HASHES - 1)) * Rfc9162.HASH_SIZE;
        }
    }
}
