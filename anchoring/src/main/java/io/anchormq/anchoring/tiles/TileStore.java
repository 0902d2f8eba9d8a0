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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable storage of one transparency log as a C2SP tlog-tiles directory: a static file server pointed at the
 * directory serves the log. It holds {@code checkpoint} (the latest signed checkpoint, verbatim),
 * {@code tile/<L>/<N>[.p/<W>]} hash tiles and {@code tile/entries/<N>[.p/<W>]} entry bundles, plus a private
 * {@code .anchormq/} directory (lock, staging area for atomic writes, the memory-mapped {@link HashIndex}, and the
 * size up to which the entry bundles were verified).
 *
 * <p>Durability: {@link #writeCheckpoint} returns once the checkpoint and the entries it covers are durable in the
 * store's {@link Journal} (one forced write); every file appears atomically (written aside, renamed into place), but
 * tiles are forced only in the background, at each journal rotation, and on {@link #close}. After a crash,
 * {@link #open} verifies the tiles made durable and writes the journal's entries as tiles again, up to its last
 * checkpoint. Entries appended but not covered by a written checkpoint are a torn tail: {@link #open} removes them
 * and the log continues at the checkpoint's size. Partial tiles superseded by a full tile are deleted once a
 * checkpoint covers the full tile and it is durable (the spec allows it; clients fall back to the full tile), so
 * the directory does not fill up with them.
 *
 * <p>Concurrency: one writer (append, writeCheckpoint, close are synchronized); {@link #hash}, {@link #entry} and
 * {@link #size} may be called from any thread at any time, for anything inside the size they observed.
 */
public final class TileStore implements HashReader, Closeable {

    private static final String CHECKPOINT = "checkpoint";
    private static final String PRIVATE_DIR = ".anchormq";
    private static final String VERIFIED_SIZE = "verified-size";
    private static final byte[] NO_ENTRIES = new byte[0];
    private static final String JOURNAL = "journal";
    /** Journal segment length that starts a rotation: about 65,000 entries of 64-byte messages. */
    static final long SEGMENT_BYTES = 8L << 20;
    /**
     * Segment age that starts a rotation too: at a few messages per second a segment would take hours to fill, and
     * until it rotates every file published since is remembered (for a clean close to force) and replayed after a
     * crash.
     */
    static final long SEGMENT_MAX_AGE_MILLIS = 60_000;
    private static final int REPLAY_BATCH = 4096;
    /** How stale the checkpoint file may be behind the latest checkpoint: C2SP logs publish about every second. */
    static final long PUBLISH_INTERVAL_MILLIS = 500;
    private static final ScheduledExecutorService PUBLISHER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "tile-publisher");
        thread.setDaemon(true);
        return thread;
    });
    private static final Logger log = LoggerFactory.getLogger(TileStore.class);
    /** Shared by all logs: a flush spends its time waiting for the device, on {@link DurableFiles}' threads. */
    private static final ExecutorService FLUSHER = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "tile-flusher");
        thread.setDaemon(true);
        return thread;
    });

    private final Path dir;
    private final Function<String, TreeHead> checkpointReader;
    private final FileChannel lockChannel;
    private final HashIndex index;
    private final DurableFiles files;
    /** Published after the tiles and the index hold everything below it: readers rely on that ordering. */
    private volatile long size;
    /** The tree size of the latest checkpoint written (its file may be published later); read by {@link #tile}. */
    private volatile long checkpointSize;
    /**
     * The partial bundle at {@link #size}, which the next append extends; readers take entries not yet in a file
     * from it. Replaced (never changed) before {@link #size} is published.
     */
    private volatile Tail tail;
    /** The signed checkpoint of {@link #checkpointSize}, and the one in the checkpoint file. */
    private String committedNote;
    private String publishedNote;
    private long publishedAtNanos;
    private final long publishIntervalNanos;
    private boolean publishScheduled;
    /** Positions whose full tile was written; their partial tiles go once a checkpoint covers the full tile. */
    private final Set<TileId> supersededPartials = new HashSet<>();
    /**
     * Null while the store replays its journal at open (then every write is forced as it is made); afterwards it
     * makes each checkpointed batch durable and the tile files are written without a force.
     */
    private Journal journal;
    /**
     * Written without a force since the last rotation of the journal: the full tiles and bundles, the published
     * files (a flush forces only those of its own size; a clean close forces them all), and the directories that
     * gained an entry.
     */
    private final List<Path> unforcedFiles = new ArrayList<>();
    private final List<Path> unforcedPublications = new ArrayList<>();
    private final Set<Path> unforcedDirectories = new HashSet<>();
    /** Every tile and bundle below this size, and its partial ones, are durable: the oldest journal segment's base. */
    private long durableSize;
    /** The background flush that makes a rotated segment's tiles durable, or null. */
    private Future<Long> flush;
    private long segmentBytes = SEGMENT_BYTES;
    private long segmentMaxAgeNanos = TimeUnit.MILLISECONDS.toNanos(SEGMENT_MAX_AGE_MILLIS);
    private long segmentStartedNanos = System.nanoTime();
    private boolean failed;
    private volatile boolean closed;

    /** Bundle {@code bundle}'s first {@code width} entries, encoded. */
    private record Tail(long bundle, int width, byte[] content) {
    }

    private TileStore(Path dir, Function<String, TreeHead> checkpointReader, FileChannel lockChannel, HashIndex index,
            DurableFiles files, long size, byte[] tailBundle, long publishIntervalMillis) {
        this.dir = dir;
        this.checkpointReader = checkpointReader;
        this.lockChannel = lockChannel;
        this.index = index;
        this.files = files;
        this.size = size;
        this.checkpointSize = size;
        this.tail = new Tail(size / TileId.WIDTH, (int) (size % TileId.WIDTH), tailBundle);
        this.publishIntervalNanos = TimeUnit.MILLISECONDS.toNanos(publishIntervalMillis);
        this.publishedAtNanos = System.nanoTime() - publishIntervalNanos; // the first checkpoint publishes at once
    }

    /**
     * Opens the log in {@code dir} (creating an empty one if the directory is new or empty), verifying it against
     * its checkpoint and removing a torn tail; see {@link Recovery}. After a crash, the batches its journal holds
     * are written as tiles again, up to the journal's last checkpoint.
     *
     * @param checkpointReader verifies a signed checkpoint's signatures and returns what it commits to; throws
     *                         {@link IllegalArgumentException} if the text is not a valid checkpoint of this log.
     *                         Used on {@code <dir>/checkpoint} here and on every {@link #writeCheckpoint} note.
     * @throws CorruptLogException the stored log does not match its checkpoint (the message names the file)
     */
    public static TileStore open(Path dir, Function<String, TreeHead> checkpointReader) throws IOException {
        return open(dir, checkpointReader, SEGMENT_BYTES, PUBLISH_INTERVAL_MILLIS);
    }

    /**
     * {@link #open} with journal segments of about {@code segmentBytes} (small ones test rotation), and the checkpoint
     * file and partial tiles written at most every {@code publishIntervalMillis} (0: at every checkpoint).
     */
    static TileStore open(Path dir, Function<String, TreeHead> checkpointReader, long segmentBytes,
            long publishIntervalMillis) throws IOException {
        createLogDirectory(dir);
        Path privateDir = Files.createDirectories(dir.resolve(PRIVATE_DIR));
        FileChannel lockChannel = FileChannel.open(privateDir.resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        HashIndex index = null;
        try {
            lock(dir, lockChannel);
            DurableFiles files = new DurableFiles(privateDir.resolve("staging"));
            Path journalDir = privateDir.resolve(JOURNAL);
            Journal.Contents journaled = Journal.read(journalDir);
            // with a journal, the checkpoint file may be newer than the tiles made durable, or torn: not read
            TreeHead head = journaled != null ? journaled.base() : readCheckpoint(dir, checkpointReader);
            long verifiedSize = readVerifiedSize(privateDir);
            if (head.size() < verifiedSize) {
                throw new CorruptLogException(CHECKPOINT + ": tree size " + head.size() + " is below the size "
                        + verifiedSize + " this log was verified at before; refusing to truncate checkpointed "
                        + "entries (was an older checkpoint restored?)");
            }
            index = new HashIndex(privateDir.resolve("hashes"));
            Recovery.run(dir, head, verifiedSize, index, files);
            TileId tail = TileId.partialTile(TileId.ENTRIES, head.size());
            byte[] tailBundle = tail == null ? NO_ENTRIES : Files.readAllBytes(dir.resolve(tail.path()));
            TileStore store = new TileStore(dir, checkpointReader, lockChannel, index, files, head.size(), tailBundle,
                    publishIntervalMillis);
            if (journaled != null) {
                store.replay(journaled);
            }
            if (store.size != verifiedSize) {
                files.write(privateDir.resolve(VERIFIED_SIZE),
                        Long.toString(store.size).getBytes(StandardCharsets.US_ASCII));
            }
            store.segmentBytes = segmentBytes;
            store.journal = Journal.start(journalDir, store.treeHead(store.size));
            store.durableSize = store.size;
            return store;
        } catch (IOException | RuntimeException | Error e) {
            closeAfterFailure(e, index, lockChannel);
            throw e;
        }
    }

    /**
     * Appends entries (each at most 65535 bytes: bundles use uint16 lengths) and writes every bundle and tile that
     * changes; they are durable once {@link #writeCheckpoint} covers them. Returns the new tree size. After an I/O
     * failure the store refuses further appends: reopen it, which removes the partly written batch.
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
            if (journal == null) {
                files.write(pending);
            } else {
                journal.addEntries(from, entries);
                files.writeUnforced(pending, unforcedDirectories);
                for (DurableFiles.Pending file : pending) {
                    unforcedFiles.add(file.target());
                }
            }
            for (int level = TileId.ENTRIES; level <= TileId.MAX_LEVEL; level++) {
                TileId partial = TileId.partialTile(level, from);
                if (partial != null && TileId.fullTileCount(level, to) > partial.index()) {
                    supersededPartials.add(partial.full());
                }
            }
            tail = new Tail(to / TileId.WIDTH, (int) (to % TileId.WIDTH), newTail);
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
            byte[] prefix = start == from ? tail.content() : NO_ENTRIES;
            byte[] content = EntryBundle.encode(prefix, entries.subList((int) (start - from), (int) (end - from)));
            TileId bundle = new TileId(TileId.ENTRIES, n, (int) (end - n * TileId.WIDTH));
            if (bundle.isFull() || journal == null) { // with a journal, partial ones are written when published
                pending.add(new DurableFiles.Pending(dir.resolve(bundle.path()), content));
            }
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
                if (tile.isFull() || journal == null) {
                    pending.add(new DurableFiles.Pending(dir.resolve(tile.path()), hashTile(tile)));
                }
            }
        }
    }

    /** A hash tile's content, from the index. */
    private byte[] hashTile(TileId tile) {
        byte[] content = new byte[tile.width() * Rfc9162.HASH_SIZE];
        for (int i = 0; i < tile.width(); i++) {
            byte[] hash = index.get(tile.treeLevel(), tile.firstHashIndex() + i);
            System.arraycopy(hash, 0, content, i * Rfc9162.HASH_SIZE, Rfc9162.HASH_SIZE);
        }
        return content;
    }

    /** The first {@code width} entries of bundle {@code n}: from the tail in memory, or from the full bundle. */
    private byte[] bundlePrefix(long n, int width) throws IOException {
        Tail current = tail;
        byte[] content = current.bundle() == n ? current.content()
                : Files.readAllBytes(dir.resolve(new TileId(TileId.ENTRIES, n, TileId.WIDTH).path()));
        int have = current.bundle() == n ? current.width() : TileId.WIDTH;
        return width == have ? content : EntryBundle.prefix(content, width, "bundle " + n);
    }

    /**
     * Makes the checkpoint and the entries it covers durable (a journal record and one force) and returns; the
     * {@code <dir>/checkpoint} file and the partial tiles beside it are replaced, atomically, at most every
     * {@link #PUBLISH_INTERVAL_MILLIS} ({@link #tile} serves the latest meanwhile). The note must be a valid
     * checkpoint (per the reader given to {@link #open}) of a tree this store holds, no smaller than the current
     * checkpoint's (the same size again is fine, e.g. with more signatures): a checkpoint that recovery would refuse
     * is never written. A failure before the journal record is forced leaves the batch out of the log; one after it
     * (publishing, or a background flush that failed) leaves it in, and the store refuses further writes.
     *
     * @throws IllegalArgumentException the note is not a checkpoint of the stored tree
     */
    public synchronized void writeCheckpoint(String signedNote) throws IOException {
        requireWritable();
        writeCheckpoint(signedNote, checkpointReader.apply(signedNote));
    }

    /**
     * As {@link #writeCheckpoint(String)}, for a note its caller has just signed and whose tree head it gives: the
     * head is checked against the stored tree, the note is not parsed and verified again.
     *
     * @throws IllegalArgumentException the head is not of the stored tree
     */
    public synchronized void writeCheckpoint(String signedNote, TreeHead head) throws IOException {
        requireWritable();
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
        byte[] note = signedNote.getBytes(StandardCharsets.UTF_8);
        long uncommitted = journal == null ? 0 : journal.committedBytes();
        try {
            if (journal == null) {
                files.write(dir.resolve(CHECKPOINT), note);
                publishedNote = signedNote;
            } else {
                journal.commit(signedNote);
            }
            checkpointSize = head.size();
            committedNote = signedNote;
        } catch (IOException | RuntimeException | Error e) {
            failed = true;
            cutJournalBack(uncommitted, e);
            throw e;
        }
        if (journal == null) {
            deleteSupersededPartials();
            return;
        }
        try {
            publishWhenDue();
            flushInBackground();
        } catch (IOException | RuntimeException | Error e) {
            failed = true; // the batch is logged; a file beside it could not be written
            throw e;
        }
    }

    /**
     * Publishes now if the last publication is {@link #PUBLISH_INTERVAL_MILLIS} old, or else schedules it: at high
     * rates a checkpoint file and up to nine partial tiles per batch were most of the files the log created (a
     * partial tile's width is in its name, so each is a new file), and ext4's inode allocation for them alone took
     * ~8 % of a pinned broker's samples; readers of this store and of the HTTP API get unpublished tiles from
     * memory.
     */
    private void publishWhenDue() throws IOException {
        long sincePublished = System.nanoTime() - publishedAtNanos;
        if (sincePublished >= publishIntervalNanos) {
            publish();
        } else if (!publishScheduled) {
            publishScheduled = true;
            PUBLISHER.schedule(this::publishOnTimer, publishIntervalNanos - sincePublished, TimeUnit.NANOSECONDS);
        }
    }

    private synchronized void publishOnTimer() {
        publishScheduled = false;
        if (closed || failed) {
            return;
        }
        try {
            publish();
        } catch (IOException | RuntimeException e) {
            failed = true; // the next append fails and its caller reopens the store
            log.warn("{}: publishing checkpoint {} failed", dir, checkpointSize, e);
        }
    }

    /**
     * Writes the partial tiles of the latest checkpoint and then the checkpoint file (neither forced: the journal
     * holds them), and deletes the partial tiles this supersedes.
     */
    private void publish() throws IOException {
        publishedAtNanos = System.nanoTime();
        if (committedNote == null || committedNote.equals(publishedNote)) {
            return;
        }
        List<DurableFiles.Pending> published = new ArrayList<>();
        for (int level = TileId.ENTRIES; level <= TileId.MAX_LEVEL; level++) {
            TileId partial = TileId.partialTile(level, checkpointSize);
            if (partial != null) {
                byte[] content = partial.isEntries() ? bundlePrefix(partial.index(), partial.width())
                        : hashTile(partial);
                published.add(new DurableFiles.Pending(dir.resolve(partial.path()), content));
            }
        }
        published.add(new DurableFiles.Pending(dir.resolve(CHECKPOINT),
                committedNote.getBytes(StandardCharsets.UTF_8)));
        files.writeUnforced(published, unforcedDirectories);
        published.forEach(file -> unforcedPublications.add(file.target()));
        publishedNote = committedNote;
        deleteSupersededPartials();
    }

    /**
     * Collects a finished flush (a failed one fails the store: reopening replays the journal, which still holds
     * everything), and when the newest segment has grown past its size ({@link #SEGMENT_BYTES} by default) or its
     * age ({@link #SEGMENT_MAX_AGE_MILLIS}) and no flush runs, rotates the journal and makes the tiles of the current
     * size durable in the background. Only the full tiles and the partial ones of that size need forcing: the partial
     * tiles of sizes between rotations are never needed after a crash (the journal restores them).
     */
    private void flushInBackground() throws IOException {
        if (flush != null && !flush.isDone()) {
            return;
        }
        awaitFlush();
        boolean due = journal.segmentBytes() >= segmentBytes
                || System.nanoTime() - segmentStartedNanos >= segmentMaxAgeNanos;
        if (due && checkpointSize == size) {
            startFlush();
        }
    }

    /** Rotates segments older than {@code millis} too (tests: 0 rotates after every checkpoint). */
    synchronized void segmentMaxAge(long millis) {
        segmentMaxAgeNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private void startFlush() throws IOException {
        publish(); // the partial tiles of the base must exist to be forced
        TreeHead base = treeHead(size);
        long sequence = journal.rotate(base);
        segmentStartedNanos = System.nanoTime();
        List<Path> toForce = filesToForce();
        Set<Path> directories = directoriesToForce(toForce);
        unforcedFiles.clear();
        unforcedPublications.clear();
        unforcedDirectories.clear();
        Journal rotated = journal;
        flush = FLUSHER.submit(() -> {
            DurableFiles.force(toForce, directories);
            rotated.deleteBefore(sequence);
            return base.size();
        });
    }

    /**
     * Rotates the journal and flushes now, whatever the segment's size, and waits for it: for tests that copy the
     * directory as a crash would leave it.
     */
    synchronized void flushNow() throws IOException {
        awaitFlush();
        startFlush();
        awaitFlush();
    }

    private void awaitFlush() throws IOException {
        if (flush != null) {
            durableSize = await(flush);
            flush = null;
        }
    }

    /**
     * What a flush forces, once the latest checkpoint is published: the full tiles and bundles written since the
     * last rotation, the partial ones of the checkpoint's size, and the checkpoint file.
     */
    private List<Path> filesToForce() {
        List<Path> toForce = new ArrayList<>(unforcedFiles);
        for (int level = TileId.ENTRIES; level <= TileId.MAX_LEVEL; level++) {
            TileId partial = TileId.partialTile(level, checkpointSize);
            if (partial != null) {
                toForce.add(dir.resolve(partial.path()));
            }
        }
        toForce.add(dir.resolve(CHECKPOINT));
        return toForce;
    }

    private Set<Path> directoriesToForce(List<Path> toForce) {
        Set<Path> directories = new HashSet<>(unforcedDirectories);
        toForce.forEach(file -> directories.add(file.getParent()));
        return directories;
    }

    /** Writes the journal's batches as tiles again, each forced, up to its last checkpoint. */
    private void replay(Journal.Contents journaled) throws IOException {
        List<byte[]> entries = journaled.entries();
        for (int start = 0; start < entries.size(); start += REPLAY_BATCH) {
            append(entries.subList(start, Math.min(entries.size(), start + REPLAY_BATCH)));
        }
        try {
            writeCheckpoint(journaled.lastCheckpoint());
        } catch (IllegalArgumentException e) {
            throw new CorruptLogException(PRIVATE_DIR + "/" + JOURNAL + ": its last checkpoint is rejected: "
                    + e.getMessage(), e);
        }
    }

    private TreeHead treeHead(long treeSize) {
        return new TreeHead(treeSize, Sha256Hash.of(index.root(treeSize), "root"));
    }

    /** After a failed checkpoint: the batch is not reported as logged, so recovery must not replay it either. */
    private void cutJournalBack(long length, Throwable failure) {
        if (journal == null) {
            return;
        }
        try {
            journal.cutBack(length);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static long await(Future<Long> task) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void deleteSupersededPartials() throws IOException {
        for (Iterator<TileId> it = supersededPartials.iterator(); it.hasNext(); ) {
            TileId full = it.next();
            if (full.coveredTreeSize() > checkpointSize) {
                continue;
            }
            TileId durablePartial = TileId.partialTile(full.level(), durableSize);
            if (durablePartial != null && durablePartial.index() == full.index()) {
                continue; // until the full tile is durable, recovery may need the partial one
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

    /** The stored tree size: every entry below it is in the tiles (durable once a checkpoint covers it). */
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
        Tail current = tail;
        if (current.bundle() == n && current.width() > 0) {
            return new Bundle(new TileId(TileId.ENTRIES, n, current.width()), current.content());
        }
        // below the tail: full (a partial position is the tail's until its full bundle is written)
        TileId bundle = new TileId(TileId.ENTRIES, n, TileId.WIDTH);
        try {
            return new Bundle(bundle, Files.readAllBytes(dir.resolve(bundle.path())));
        } catch (NoSuchFileException e) {
            throw new CorruptLogException(bundle + ": missing, but the stored tree of size " + treeSize
                    + " needs it", e);
        }
    }

    /**
     * A tile or bundle of the tree of the latest checkpoint (or of an earlier tree), by its path below {@code tile/}
     * (e.g. {@code 0/x001/234.p/5}): for serving partial tiles not yet published as files. Null if the path is not a
     * tile of that tree.
     */
    public byte[] tile(String relativePath) throws IOException {
        requireOpen();
        TileId tile = TileId.parse(relativePath);
        if (tile == null || tile.coveredTreeSize() > checkpointSize) {
            return null;
        }
        return tile.isEntries() ? bundlePrefix(tile.index(), tile.width()) : hashTile(tile);
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
            try {
                if (journal != null && !failed) {
                    settle();
                }
            } finally {
                if (journal != null) {
                    journal.close();
                }
                index.close();
            }
        }
    }

    /**
     * For a clean close: makes every file written durable, then deletes the journal, so a closed log is the tiles
     * and the checkpoint alone, as a static file server serves them.
     */
    private void settle() throws IOException {
        awaitFlush();
        publish();
        List<Path> toForce = filesToForce();
        toForce.addAll(unforcedPublications);
        DurableFiles.force(toForce, directoriesToForce(toForce));
        journal.deleteAll();
        durableSize = size;
        deleteSupersededPartials();
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
