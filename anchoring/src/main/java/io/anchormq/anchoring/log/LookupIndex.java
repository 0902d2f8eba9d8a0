package io.anchormq.anchoring.log;

import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.tiles.CorruptLogException;
import io.anchormq.anchoring.tiles.TileStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;
import org.bouncycastle.crypto.macs.SipHash;
import org.bouncycastle.crypto.params.KeyParameter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a log's entries by (client id, topic, payload SHA-256) through a 64-bit key hash of the three; every hit is
 * a candidate the caller confirms by reading the entry.
 *
 * <p>Two parts. The <em>keys file</em> {@code .anchormq/lookup-keys} holds the key hash of every entry (8 bytes at
 * 64 + 8·index) after a header: magic, the SipHash key, and the tree (size and root) whose keys are known to be on
 * disk. It is a cache derived from the entry bundles: written with every batch but forced only every
 * {@value #SYNC_INTERVAL} entries and on close; on open the keys beyond the forced tree are recomputed from the
 * bundles, and a header that does not match the stored tree (another log, a restored backup, a torn write) means
 * recomputing all of them. The <em>table</em> is a {@link LookupTable} in memory, 15 to 19.5 bytes per entry when
 * every key is new (about 5 when keys repeat), built from the keys file on open and rebuilt larger from it, on a
 * thread of its own, when its slots (one per distinct key) fill.
 *
 * <p>Why this split: rebuilding from the bundles on every open would read and decode every entry (100+ bytes each)
 * where the keys file is 8 sequential bytes; a hash table on disk would dirty a random page per insert, tens of
 * MB/s of writeback at 10,000 messages/s competing with the log's own fsyncs, where the keys file is appended to.
 *
 * <p>The hash is SipHash-2-4 under a random key per log: devices choose their client ids, topics and payloads, and
 * with a public hash they could make entries collide on purpose and turn inserts and lookups into long scans. They
 * can still repeat a message as often as they like, which is why the table chains a key's entries.
 *
 * <p>One writer ({@link #prepare}, {@link #add}, {@link #catchUp}, {@link #close}, by {@link WorkspaceLog}'s
 * append lock) and any number of readers ({@link #keyOf}, {@link #candidates}).
 */
final class LookupIndex implements Closeable {

    static final String FILE = "lookup-keys";
    /** Forcing the keys file this often bounds what a crash makes the next open recompute. */
    static final int SYNC_INTERVAL = 1 << 16;

    private static final Logger log = LoggerFactory.getLogger(LookupIndex.class);
    private static final byte[] MAGIC = {'a', 'm', 'q', 'k', 'e', 'y', 's', 1};
    private static final int KEY_SIZE = 16;
    private static final int HEADER_SIZE = 64; // magic 8, SipHash key 16, synced size 8, synced root 32
    private static final int SYNCED_OFFSET = MAGIC.length + KEY_SIZE;
    private static final int BLOCK = 1 << 16; // keys per read or recompute step
    private static final Executor BUILDERS = task -> {
        Thread thread = new Thread(task, "lookup-table-builder");
        thread.setDaemon(true); // a build is only a cache; nothing is lost if it dies with the JVM
        thread.start();
    };

    private final Path file;
    private final FileChannel channel;
    private final KeyParameter sipKey;
    /** The writer's SipHash, re-initialised per key (readers make their own). */
    private final SipHash writerMac = new SipHash();
    /** Replaced, never shrunk, by a larger table: readers take whichever they see (both hold what was published). */
    private volatile LookupTable table;
    // writer only
    private long indexed;
    private byte[] indexedRoot;
    private long synced;
    private CompletableFuture<LookupTable> growth;
    private long growthFrom;

    private LookupIndex(Path file, FileChannel channel, byte[] sipKey, long synced) {
        this.file = file;
        this.channel = channel;
        this.sipKey = new KeyParameter(sipKey);
        this.synced = synced;
    }

    /**
     * Opens (or creates) the index of the tree of the first {@code size} entries in {@code store}: recomputes the
     * keys the file lacks from the bundles and builds the table.
     *
     * @param rootOf the root of the stored tree of a given size, to check that the file's keys are this log's
     */
    static LookupIndex open(Path privateDir, TileStore store, long size, LongFunction<byte[]> rootOf)
            throws IOException {
        Path file = privateDir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            LookupIndex index = readHeader(file, channel, size, rootOf);
            if (index == null) {
                byte[] sipKey = new byte[KEY_SIZE];
                new SecureRandom().nextBytes(sipKey);
                channel.truncate(0);
                write(channel, ByteBuffer.allocate(HEADER_SIZE).put(MAGIC).put(sipKey).putLong(0)
                        .put(Rfc9162.emptyRoot()).flip(), 0);
                index = new LookupIndex(file, channel, sipKey, 0);
            }
            long start = System.nanoTime();
            long recomputed = size - index.synced;
            index.recompute(store, index.synced, size);
            LookupTable table = index.build(size, size); // slots as if every key were new
            if (table.keys() < size / 4) {
                table = index.build(size, table.keys()); // most repeat: slots for the keys there are
            }
            index.table = table;
            index.indexed = size;
            index.indexedRoot = rootOf.apply(size);
            if (recomputed > 0) {
                index.sync();
            }
            channel.truncate(HEADER_SIZE + 8 * size); // keys of a torn batch beyond the log, if any
            log.debug("{}: lookup index of {} entries ready in {} ms ({} keys recomputed from the bundles)", file,
                    size, (System.nanoTime() - start) / 1_000_000, recomputed);
            return index;
        } catch (IOException | RuntimeException | Error e) {
            try {
                channel.close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /** The index the file's header describes, or null (logged) when the file is new, not ours, or not this log's. */
    private static LookupIndex readHeader(Path file, FileChannel channel, long size, LongFunction<byte[]> rootOf)
            throws IOException {
        long length = channel.size();
        if (length == 0) {
            return null;
        }
        String problem;
        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
        if (length < HEADER_SIZE) {
            problem = "shorter than its header";
        } else {
            read(channel, header, 0);
            byte[] magic = new byte[MAGIC.length];
            byte[] sipKey = new byte[KEY_SIZE];
            byte[] root = new byte[Rfc9162.HASH_SIZE];
            header.flip().get(magic).get(sipKey);
            long synced = header.getLong();
            header.get(root);
            if (!Arrays.equals(magic, MAGIC)) {
                problem = "not a lookup key file of this version";
            } else if (synced < 0 || synced > size) {
                problem = "written for a tree of " + synced + " entries, but the log has " + size;
            } else if (length < HEADER_SIZE + 8 * synced) {
                problem = "holds fewer keys than the " + synced + " its header says are on disk";
            } else if (!Arrays.equals(root, rootOf.apply(synced))) {
                problem = "written for another tree of " + synced + " entries than the log's";
            } else {
                return new LookupIndex(file, channel, sipKey, synced);
            }
        }
        log.warn("{}: {}; recomputing every key from the entry bundles", file, problem);
        return null;
    }

    /**
     * The key hash of (client id, topic, payload SHA-256). A text that is not valid Unicode hashes like its
     * {@link String#getBytes} form (unpaired surrogates as '?'): no entry holds such a text (entries are encoded
     * strictly), and the entry check of every candidate rejects the look-alikes.
     */
    long keyOf(String clientId, String topic, byte[] payloadSha256) {
        byte[] client = clientId.getBytes(StandardCharsets.UTF_8); // a CharsetEncoder per key cost 1/5 of append
        byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
        byte[] input = ByteBuffer.allocate(8 + client.length + topicBytes.length + payloadSha256.length)
                .putInt(client.length).put(client).putInt(topicBytes.length).put(topicBytes).put(payloadSha256)
                .array();
        SipHash mac = new SipHash(); // 2-4
        mac.init(sipKey);
        mac.update(input, 0, input.length);
        return mac.doFinal();
    }

    /**
     * {@link #keyOf} of an encoded entry's client id, topic and payload SHA-256, read in place from the encoding
     * (the same bytes {@code keyOf} would hash): the writer's way, with one SipHash of its own and no arrays per
     * entry. Writer only.
     */
    long keyOfEntry(byte[] entry) {
        int at = 1;
        at += 2 + u16(entry, at); // workspace
        int clientLength = u16(entry, at);
        int client = at + 2;
        int topicLength = u16(entry, client + clientLength);
        int topic = client + clientLength + 2;
        int sha = topic + topicLength + 1; // after the qos byte
        SipHash mac = writerMac;
        mac.init(sipKey);
        updateInt(mac, clientLength);
        mac.update(entry, client, clientLength);
        updateInt(mac, topicLength);
        mac.update(entry, topic, topicLength);
        mac.update(entry, sha, Rfc9162.HASH_SIZE);
        return mac.doFinal();
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    private static void updateInt(SipHash mac, int value) {
        mac.update((byte) (value >>> 24));
        mac.update((byte) (value >>> 16));
        mac.update((byte) (value >>> 8));
        mac.update((byte) value);
    }

    /** Indexes of entries below {@code below} that may have this key, ascending. */
    long[] candidates(long key, long below) {
        return table.candidates(key, below);
    }

    /**
     * Before entries {@code first}.. are appended to the log: writes their keys and makes room for them in the
     * table. An {@link IOException} here fails the batch before anything is logged.
     */
    void prepare(long first, long[] keys) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(8 * keys.length);
        for (long key : keys) {
            buffer.putLong(key);
        }
        write(channel, buffer.flip(), HEADER_SIZE + 8 * first);
        LookupTable current = table;
        if (growth == null && current.wantsGrowth(keys.length)) {
            long from = indexed; // keys below are final: only logged entries are indexed
            long distinctKeys = current.keys() + keys.length; // at most, after this batch
            growthFrom = from;
            growth = CompletableFuture.supplyAsync(() -> {
                try {
                    return build(from, distinctKeys);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, BUILDERS);
        }
        if (growth != null && (growth.isDone() || !current.hasRoom(keys.length))) {
            swapInGrownTable();
        }
        if (!table.hasRoom(keys.length)) { // a batch larger than the grown table's headroom, or the build failed
            table = build(indexed, table.keys() + keys.length);
        }
    }

    /** Once entries {@code first}.. are logged (checkpointed), with {@code root} the root of the new tree. */
    void add(long first, long[] keys, byte[] root) {
        if (first != indexed) {
            throw new IllegalStateException("entries from " + first + " added to the lookup index of " + indexed);
        }
        LookupTable current = table;
        for (int i = 0; i < keys.length; i++) {
            current.insert(keys[i], first + i);
        }
        indexed = first + keys.length;
        indexedRoot = root;
        if (indexed - synced >= SYNC_INTERVAL) {
            try {
                sync();
            } catch (IOException e) {
                log.warn("{}: cannot force the lookup keys to disk ({}); the next open recomputes them", file,
                        e.toString());
            }
        }
    }

    /**
     * After the log was reopened and turned out to hold more than was indexed (a batch that failed after its
     * checkpoint was written): indexes entries up to {@code size}, of root {@code root}, from the bundles.
     */
    void catchUp(TileStore store, long size, byte[] root) throws IOException {
        if (size <= indexed) {
            return;
        }
        recompute(store, indexed, size);
        long[] keys = readKeys(indexed, size);
        if (!table.hasRoom(keys.length)) {
            table = build(size, size);
        } else {
            for (int i = 0; i < keys.length; i++) {
                table.insert(keys[i], indexed + i);
            }
        }
        indexed = size;
        indexedRoot = root;
    }

    /** Forces the keys and records the tree they are for; the file is closed even if that fails. */
    @Override
    public void close() throws IOException {
        try (channel) {
            sync();
        }
    }

    private void swapInGrownTable() {
        LookupTable grown;
        try {
            grown = growth.join();
            long[] recent = readKeys(growthFrom, indexed); // indexed while it was built
            for (int i = 0; i < recent.length; i++) {
                grown.insert(recent[i], growthFrom + i);
            }
        } catch (CompletionException | IOException e) {
            log.warn("{}: building a larger lookup table failed; trying again with the next batch", file,
                    e instanceof CompletionException ? e.getCause() : e);
            return;
        } finally {
            growth = null;
        }
        table = grown;
        log.debug("{}: lookup table grown for {} entries", file, indexed);
    }

    /** A table holding the keys of entries [0, to) from the file, with slots for {@code distinctKeys} keys. */
    private LookupTable build(long to, long distinctKeys) throws IOException {
        LookupTable built = LookupTable.forKeys(distinctKeys);
        for (long from = 0; from < to; from += BLOCK) {
            long[] keys = readKeys(from, Math.min(to, from + BLOCK));
            for (int i = 0; i < keys.length; i++) {
                built.insert(keys[i], from + i);
            }
        }
        return built;
    }

    /** Writes the keys of entries [from, to) from their bundles. */
    private void recompute(TileStore store, long from, long to) throws IOException {
        for (long start = from; start < to; start += BLOCK) {
            long end = Math.min(to, start + BLOCK);
            List<byte[]> entries = store.entries(start, end);
            ByteBuffer keys = ByteBuffer.allocate(8 * entries.size());
            for (int i = 0; i < entries.size(); i++) {
                LogEntry entry;
                try {
                    entry = LogEntry.decode(entries.get(i));
                } catch (IllegalArgumentException e) {
                    throw new CorruptLogException("entry " + (start + i) + " is not a log entry: " + e.getMessage(),
                            e);
                }
                keys.putLong(keyOf(entry.clientId(), entry.topic(), entry.payloadSha256()));
            }
            write(channel, keys.flip(), HEADER_SIZE + 8 * start);
        }
    }

    private long[] readKeys(long from, long to) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(8 * (to - from)));
        read(channel, buffer, HEADER_SIZE + 8 * from);
        long[] keys = new long[(int) (to - from)];
        buffer.flip().asLongBuffer().get(keys);
        return keys;
    }

    /** Forces the keys of the indexed tree, then records that tree in the header and forces that. */
    private void sync() throws IOException {
        channel.force(false);
        write(channel, ByteBuffer.allocate(8 + Rfc9162.HASH_SIZE).putLong(indexed).put(indexedRoot).flip(),
                SYNCED_OFFSET);
        channel.force(false);
        synced = indexed;
    }

    private static void write(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
    }

    private static void read(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new CorruptLogException(FILE + ": ends at " + position + ", before the keys it should hold");
            }
            position += n;
        }
    }
}
