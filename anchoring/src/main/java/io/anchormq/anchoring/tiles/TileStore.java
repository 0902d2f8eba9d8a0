package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.HashReader;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.merkle.Sha256Hash;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Durable storage of one transparency log as a C2SP tlog-tiles directory: a static file server pointed at the
 * directory serves the log. It holds {@code checkpoint} (the latest signed checkpoint, verbatim),
 * {@code tile/<L>/<N>[.p/<W>]} hash tiles and {@code tile/entries/<N>[.p/<W>]} entry bundles, plus a private
 * {@code .anchormq/} directory (lock, staging area for atomic writes, the memory-mapped {@link HashIndex}, and the
 * size up to which the entry bundles were verified).
 *
 * <p>Durability: {@link #append} and {@link #writeCheckpoint} return only once every file they wrote is on disk,
 * each replaced atomically, so a crash at any instant leaves every file old or new. Entries appended but not yet
 * covered by a written checkpoint are a torn tail: {@link #open} removes them and the log continues at the
 * checkpoint's size. Partial tiles superseded by a full tile are deleted when the next checkpoint is written (the
 * spec allows it; clients fall back to the full tile), so the directory does not fill up with them.
 *
 * <p>Concurrency: one writer (append, writeCheckpoint, close are synchronized); {@link #hash}, {@link #entry} and
 * {@link #size} may be called from any thread at any time, for anything inside the size they observed.
 */
public final class TileStore implements HashReader, Closeable {

    private static final String CHECKPOINT = "checkpoint";
    private static final String PRIVATE_DIR = ".anchormq";
    private static final String VERIFIED_SIZE = "verified-size";
    private static final byte[] NO_ENTRIES = new byte[0];

    private final Path dir;
    private final Function<String, TreeHead> checkpointReader;
    private final FileChannel lockChannel;
    private final HashIndex index;
    private final DurableFiles files;
    /** Published after the tiles and the index hold everything below it: readers rely on that ordering. */
    private volatile long size;
    /** The tree size of {@code <dir>/checkpoint}. */
    private long checkpointSize;
    /** The encoded entries of the partial bundle at {@link #size}, which the next append extends. */
    private byte[] tailBundle;
    /** Positions whose full tile was written; their partial tiles go once a checkpoint covers the full tile. */
    private final Set<TileId> supersededPartials = new HashSet<>();
    private boolean failed;
    private volatile boolean closed;

    private TileStore(Path dir, Function<String, TreeHead> checkpointReader, FileChannel lockChannel, HashIndex index,
            DurableFiles files, long size, byte[] tailBundle) {
        this.dir = dir;
        this.checkpointReader = checkpointReader;
        this.lockChannel = lockChannel;
        this.index = index;
        this.files = files;
        this.size = size;
        this.checkpointSize = size;
        this.tailBundle = tailBundle;
    }

    /**
     * Opens the log in {@code dir} (creating an empty one if the directory is new or empty), verifying it against
     * its checkpoint and removing a torn tail; see {@link Recovery}.
     *
     * @param checkpointReader verifies a signed checkpoint's signatures and returns what it commits to; throws
     *                         {@link IllegalArgumentException} if the text is not a valid checkpoint of this log.
     *                         Used on {@code <dir>/checkpoint} here and on every {@link #writeCheckpoint} note.
     * @throws CorruptLogException the stored log does not match its checkpoint (the message names the file)
     */
    public static TileStore open(Path dir, Function<String, TreeHead> checkpointReader) throws IOException {
        createLogDirectory(dir);
        Path privateDir = Files.createDirectories(dir.resolve(PRIVATE_DIR));
        FileChannel lockChannel = FileChannel.open(privateDir.resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        HashIndex index = null;
        try {
            lock(dir, lockChannel);
            DurableFiles files = new DurableFiles(privateDir.resolve("staging"));
            TreeHead head = readCheckpoint(dir, checkpointReader);
            long verifiedSize = readVerifiedSize(privateDir);
            if (head.size() < verifiedSize) {
                throw new CorruptLogException(CHECKPOINT + ": tree size " + head.size() + " is below the size "
                        + verifiedSize + " this log was verified at before; refusing to truncate checkpointed "
                        + "entries (was an older checkpoint restored?)");
            }
            index = new HashIndex(privateDir.resolve("hashes"));
            Recovery.run(dir, head, verifiedSize, index, files);
            if (head.size() != verifiedSize) {
                files.write(privateDir.resolve(VERIFIED_SIZE),
                        Long.toString(head.size()).getBytes(StandardCharsets.US_ASCII));
            }
            TileId tail = TileId.partialTile(TileId.ENTRIES, head.size());
            byte[] tailBundle = tail == null ? NO_ENTRIES : Files.readAllBytes(dir.resolve(tail.path()));
            return new TileStore(dir, checkpointReader, lockChannel, index, files, head.size(), tailBundle);
        } catch (IOException | RuntimeException | Error e) {
            closeAfterFailure(e, index, lockChannel);
            throw e;
        }
    }

    /**
     * Appends entries (each at most 65535 bytes: bundles use uint16 lengths) and writes, durably, every bundle and
     * tile that changes. Returns the new tree size. After an I/O failure the store refuses further appends: reopen
     * it, which removes the partly written batch.
     */
    public synchronized long append(List<byte[]> entries) throws IOException {
        requireWritable();
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).length > EntryBundle.MAX_ENTRY_SIZE) {
                throw new IllegalArgumentException("entry " + i + " of the batch is " + entries.get(i).length
                        + " bytes; tlog-tiles entry bundles allow at most " + EntryBundle.MAX_ENTRY_SIZE);
            }
        }
        long from = size;
        long to = from + entries.size();
        if (from == to) {
            return to;
        }
        try {
            index.reserve(to);
            byte[] leaf = new byte[Rfc9162.HASH_SIZE];
            for (int i = 0; i < entries.size(); i++) {
                Rfc9162.leafHash(entries.get(i), leaf);
                index.put(0, from + i, leaf);
            }
            index.extend(from, to);
            List<DurableFiles.Pending> pending = new ArrayList<>();
            byte[] newTail = addBundles(entries, from, to, pending);
            addHashTiles(from, to, pending);
            files.write(pending);
            for (int level = TileId.ENTRIES; level <= TileId.MAX_LEVEL; level++) {
                TileId partial = TileId.partialTile(level, from);
                if (partial != null && TileId.fullTileCount(level, to) > partial.index()) {
                    supersededPartials.add(partial.full());
                }
            }
            tailBundle = newTail;
            size = to;
            return to;
        } catch (IOException | RuntimeException | Error e) {
            failed = true;
            throw e;
        }
    }

    /** The bundles from the one holding entry {@code from} on; returns the new partial bundle's content. */
    private byte[] addBundles(List<byte[]> entries, long from, long to, List<DurableFiles.Pending> pending) {
        byte[] newTail = NO_ENTRIES;
        for (long n = from / TileId.WIDTH; n * TileId.WIDTH < to; n++) {
            long start = Math.max(n * TileId.WIDTH, from);
            long end = Math.min((n + 1) * TileId.WIDTH, to);
            byte[] prefix = start == from ? tailBundle : NO_ENTRIES;
            byte[] content = EntryBundle.encode(prefix, entries.subList((int) (start - from), (int) (end - from)));
            TileId bundle = new TileId(TileId.ENTRIES, n, (int) (end - n * TileId.WIDTH));
            pending.add(new DurableFiles.Pending(dir.resolve(bundle.path()), content));
            newTail = bundle.isFull() ? NO_ENTRIES : content;
        }
        return newTail;
    }

    /**
     * At each level, the tiles that gain hashes: full ones, and the new partial one. A level whose hash count does
     * not change keeps its partial tile file as it is (same width, same content).
     */
    private void addHashTiles(long from, long to, List<DurableFiles.Pending> pending) {
        for (int level = 0; level <= TileId.MAX_LEVEL; level++) {
            long oldCount = TileId.hashCount(level, from);
            long newCount = TileId.hashCount(level, to);
            if (oldCount == newCount) {
                break; // then no level above changes either
            }
            for (long n = oldCount / TileId.WIDTH; n * TileId.WIDTH < newCount; n++) {
                TileId tile = new TileId(level, n, (int) (Math.min((n + 1) * TileId.WIDTH, newCount)
                        - n * TileId.WIDTH));
                byte[] content = new byte[tile.width() * Rfc9162.HASH_SIZE];
                for (int i = 0; i < tile.width(); i++) {
                    byte[] hash = index.get(tile.treeLevel(), tile.firstHashIndex() + i);
                    System.arraycopy(hash, 0, content, i * Rfc9162.HASH_SIZE, Rfc9162.HASH_SIZE);
                }
                pending.add(new DurableFiles.Pending(dir.resolve(tile.path()), content));
            }
        }
    }

    /**
     * Replaces {@code <dir>/checkpoint}, atomically and durably. The note must be a valid checkpoint (per the
     * reader given to {@link #open}) of a tree this store holds, no smaller than the current checkpoint's (the same
     * size again is fine, e.g. with more signatures): a checkpoint that recovery would refuse is never written.
     * Then deletes the partial tiles that full tiles covered by this checkpoint supersede.
     *
     * @throws IllegalArgumentException the note is not a checkpoint of the stored tree
     */
    public synchronized void writeCheckpoint(String signedNote) throws IOException {
        requireWritable();
        TreeHead head = checkpointReader.apply(signedNote);
        if (head.size() < checkpointSize) {
            throw new IllegalArgumentException("the checkpoint's tree size " + head.size()
                    + " is below the current checkpoint's " + checkpointSize + " (a log never goes back)");
        }
        if (head.size() > size) {
            throw new IllegalArgumentException("the checkpoint's tree size " + head.size()
                    + " exceeds the stored tree size " + size);
        }
        if (!Arrays.equals(index.root(head.size()), head.rootHash().bytes())) {
            throw new IllegalArgumentException("the checkpoint's root " + head.rootHash()
                    + " is not the root of the stored tree of size " + head.size());
        }
        try {
            files.write(dir.resolve(CHECKPOINT), signedNote.getBytes(StandardCharsets.UTF_8));
            checkpointSize = head.size();
        } catch (IOException | RuntimeException | Error e) {
            failed = true;
            throw e;
        }
        deleteSupersededPartials(head.size());
    }

    private void deleteSupersededPartials(long checkpointSize) throws IOException {
        for (Iterator<TileId> it = supersededPartials.iterator(); it.hasNext(); ) {
            TileId full = it.next();
            if (full.coveredTreeSize() > checkpointSize) {
                continue;
            }
            Path partialDir = dir.resolve(full.path() + ".p");
            files.forgetDirectory(partialDir);
            try (Stream<Path> partials = Files.list(partialDir)) {
                for (Path partial : (Iterable<Path>) partials::iterator) {
                    Files.delete(partial); // no fsync: a partial that survives a power loss goes at the next open
                }
            } catch (NoSuchFileException e) {
                // already gone
            }
            Files.deleteIfExists(partialDir);
            it.remove();
        }
    }

    /** The stored tree size: every entry below it is durable (not necessarily checkpointed yet). */
    public long size() {
        return size;
    }

    /**
     * The hash of the perfect subtree at {@code level}, {@code index}, from the memory-mapped index: no file
     * access or hashing.
     *
     * @throws IllegalArgumentException the subtree is not complete inside the stored tree
     */
    @Override
    public byte[] hash(int level, long index) {
        requireOpen();
        long treeSize = size;
        if (level < 0 || level >= HashIndex.LEVELS || index < 0 || index >= treeSize >>> level) {
            throw new IllegalArgumentException("no complete subtree at level " + level + ", index " + index
                    + " in the stored tree of size " + treeSize);
        }
        return this.index.get(level, index);
    }

    /** Entry {@code index}, read from its bundle. */
    public byte[] entry(long index) throws IOException {
        requireOpen();
        long treeSize = size;
        if (index < 0 || index >= treeSize) {
            throw new IllegalArgumentException("no entry " + index + " in the stored tree of size " + treeSize);
        }
        Bundle bundle = readBundle(index / TileId.WIDTH, treeSize);
        return EntryBundle.entryAt(bundle.bytes, (int) (index - bundle.id.firstHashIndex()), bundle.id.path());
    }

    /**
     * Entries {@code from} (inclusive) to {@code to} (exclusive), reading each bundle once: for scans, where
     * {@link #entry} would read a bundle per entry.
     */
    public List<byte[]> entries(long from, long to) throws IOException {
        requireOpen();
        long treeSize = size;
        if (from < 0 || from > to || to > treeSize) {
            throw new IllegalArgumentException("no entries " + from + ".." + to + " in the stored tree of size "
                    + treeSize);
        }
        List<byte[]> entries = new ArrayList<>((int) Math.min(to - from, Integer.MAX_VALUE - 8));
        for (long n = from / TileId.WIDTH; n * TileId.WIDTH < to; n++) {
            Bundle bundle = readBundle(n, treeSize);
            List<byte[]> all = EntryBundle.decode(bundle.bytes, bundle.id.width(), bundle.id.path());
            long first = bundle.id.firstHashIndex();
            entries.addAll(all.subList((int) (Math.max(from, first) - first), (int) (Math.min(to, first
                    + TileId.WIDTH) - first)));
        }
        return entries;
    }

    /** A bundle's file content and which file it was. */
    private record Bundle(TileId id, byte[] bytes) {
    }

    /**
     * Bundle {@code n} of the tree of size {@code treeSize} (or a wider version of it: its first entries are the
     * same).
     */
    private Bundle readBundle(long n, long treeSize) throws IOException {
        while (true) {
            TileId bundle = new TileId(TileId.ENTRIES, n, (int) Math.min(TileId.WIDTH, treeSize - n * TileId.WIDTH));
            try {
                return new Bundle(bundle, Files.readAllBytes(dir.resolve(bundle.path())));
            } catch (NoSuchFileException e) {
                long now = size;
                if (!bundle.isFull() && now != treeSize) {
                    treeSize = now; // an append widened the bundle and a checkpoint deleted this partial meanwhile
                    continue;
                }
                throw new CorruptLogException(bundle + ": missing, but the stored tree of size " + treeSize
                        + " needs it", e);
            }
        }
    }

    /** RFC 9162 root of the first {@code treeSize} stored entries. */
    byte[] rootHash(long treeSize) {
        requireOpen();
        if (treeSize < 0 || treeSize > size) {
            throw new IllegalArgumentException("tree size " + treeSize + " outside 0.." + size);
        }
        return index.root(treeSize);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (lockChannel) { // closing the channel releases the lock
            index.close();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(dir + ": the tile store is closed");
        }
    }

    private void requireWritable() {
        requireOpen();
        if (failed) {
            throw new IllegalStateException(dir + ": an earlier write failed; reopen the store to recover");
        }
    }

    /** A new log's directory entry must be durable too, or a power loss could lose the whole log. */
    private static void createLogDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.createDirectory(dir);
        DurableFiles.forceDirectory(parent);
    }

    private static void closeAfterFailure(Throwable failure, Closeable... resources) {
        for (Closeable resource : resources) {
            try {
                if (resource != null) {
                    resource.close();
                }
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private static void lock(Path dir, FileChannel lockChannel) throws IOException {
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new IOException(dir + ": the log is already open (by this or another process)");
        }
    }

    /** The checkpoint's tree head; the empty tree if there is no checkpoint and no tile either. */
    private static TreeHead readCheckpoint(Path dir, Function<String, TreeHead> reader) throws IOException {
        Path file = dir.resolve(CHECKPOINT);
        if (!Files.exists(file)) {
            Path tiles = dir.resolve("tile");
            if (Files.isDirectory(tiles)) {
                try (Stream<Path> children = Files.list(tiles)) {
                    if (children.findAny().isPresent()) {
                        throw new CorruptLogException(CHECKPOINT + ": missing, but tile/ holds data; refusing to "
                                + "treat the log as empty");
                    }
                }
            }
            return new TreeHead(0, Sha256Hash.of(Rfc9162.emptyRoot(), "empty root"));
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) { // the JDK's message may not name the file ("Is a directory")
            throw new IOException(file + ": cannot read the checkpoint: " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CorruptLogException(CHECKPOINT + ": not valid UTF-8", e);
        }
        try {
            return reader.apply(text);
        } catch (IllegalArgumentException e) {
            throw new CorruptLogException(CHECKPOINT + ": rejected: " + e.getMessage(), e);
        }
    }

    private static long readVerifiedSize(Path privateDir) throws IOException {
        Path file = privateDir.resolve(VERIFIED_SIZE);
        if (!Files.exists(file)) {
            return 0;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        try {
            long verified = Long.parseLong(text);
            if (verified >= 0) {
                return verified;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CorruptLogException(PRIVATE_DIR + "/" + VERIFIED_SIZE + ": \"" + text
                + "\" is not a tree size; delete the file to verify every entry bundle again");
    }
}
