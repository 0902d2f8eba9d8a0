package io.anchormq.broker.store;

import io.anchormq.broker.message.Message;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's durable state in one RocksDB database: persistent sessions, the messages queued and in flight for
 * them, inbound QoS 2 packet ids, retained messages. Every write goes through RocksDB's write-ahead log before the
 * call returns, so a process that is killed loses nothing written; what a machine (power) crash may lose depends
 * on the {@link Fsync} policy.
 *
 * <p>A message routed to several persistent sessions is stored once and referenced by each ({@link
 * #referenceMessage}); it is deleted when the last reference goes. Writes made on one thread inside {@link
 * #inGroup} are committed as one atomic batch, and actions deferred to {@link #afterCommit} run only after it: a
 * publish, its routing to persistent sessions and its QoS 2 packet id land together or not at all.
 */
public final class BrokerStore implements AutoCloseable {

    /** The layout of the records; a store of another version is refused with a message saying what to do. */
    public static final int FORMAT = 1;

    /** What a machine crash (not a process kill: that loses nothing) may lose. */
    public enum Fsync {
        /** The write-ahead log is synced on every write: nothing acknowledged is lost; the slowest. */
        ALWAYS,
        /** Synced every interval in the background: a power loss loses at most about one interval. */
        INTERVAL,
        /** Left to the operating system's page cache. */
        NEVER
    }

    public enum Family {
        SESSIONS("sessions"), DELIVERIES("deliveries"), MESSAGES("messages"), INBOUND("inbound-qos2"),
        RETAINED("retained");

        final String cfName;

        Family(String cfName) {
            this.cfName = cfName;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(BrokerStore.class);
    private static final byte[] FORMAT_KEY = "format".getBytes(StandardCharsets.UTF_8);

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final ColumnFamilyHandle[] families = new ColumnFamilyHandle[Family.values().length];
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final WriteOptions writeOptions;
    private final ScheduledExecutorService syncer;
    /** References to each stored message from the deliveries of sessions; counted at open. */
    private final ConcurrentHashMap<Long, Integer> references = new ConcurrentHashMap<>();
    private final AtomicLong lastMessageId = new AtomicLong();
    private final AtomicLong lastSequence = new AtomicLong();
    private final ThreadLocal<Group> group = new ThreadLocal<>();
    /** Per thread, the last message stored: the router hands one message to all its recipients in a row. */
    private final ThreadLocal<Object[]> lastStored = ThreadLocal.withInitial(() -> new Object[2]);

    private static final class Group {
        /** Made at the first write: most QoS 1 publishes of clean sessions write nothing. */
        WriteBatch batch;
        final List<Runnable> after = new ArrayList<>(4);

        WriteBatch batch() {
            if (batch == null) {
                batch = new WriteBatch();
            }
            return batch;
        }
    }

    private BrokerStore(Path dir, Fsync fsync, Duration interval) throws RocksDBException {
        this.dir = dir;
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                // sessions write small records at a high rate: the WAL, not the memtable size, bounds recovery
                .setMaxTotalWalSize(256L << 20);
        cfOptions = new ColumnFamilyOptions().optimizeLevelStyleCompaction();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
        for (Family f : Family.values()) {
            descriptors.add(new ColumnFamilyDescriptor(f.cfName.getBytes(StandardCharsets.UTF_8), cfOptions));
        }
        handles = new ArrayList<>();
        db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        for (Family f : Family.values()) {
            families[f.ordinal()] = handles.get(f.ordinal() + 1);
        }
        writeOptions = new WriteOptions().setSync(fsync == Fsync.ALWAYS);
        if (fsync == Fsync.INTERVAL) {
            syncer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "anchormq-store-sync");
                t.setDaemon(true);
                return t;
            });
            long ms = Math.max(1, interval.toMillis());
            syncer.scheduleWithFixedDelay(this::syncWal, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            syncer = null;
        }
    }

    /**
     * Opens (or creates) the store in {@code dir}. A store that cannot be read, or of another format, is an error
     * that names the directory: the broker must not start empty over state it could not read.
     */
    public static BrokerStore open(Path dir, Fsync fsync, Duration interval) {
        BrokerStore store;
        try {
            Files.createDirectories(dir);
            store = new BrokerStore(dir, fsync, interval);
        } catch (Exception e) {
            throw new IllegalStateException("The broker state in " + dir + " cannot be opened (" + e.getMessage()
                    + "). If another broker uses it, stop that one; if it is damaged, move the directory away (the "
                    + "broker then starts with no sessions and no retained messages) or restore it from a backup.",
                    e);
        }
        try {
            store.checkFormat();
            store.countReferences();
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private void checkFormat() {
        byte[] stored = get(null, FORMAT_KEY);
        if (stored == null) {
            if (!isEmpty()) {
                throw new IllegalStateException("The broker state in " + dir + " has records but no format version: "
                        + "it was not written by this broker. Move it away to start afresh.");
            }
            putRaw(null, FORMAT_KEY, ByteBuffer.allocate(4).putInt(FORMAT).array());
            return;
        }
        int format = stored.length == 4 ? ByteBuffer.wrap(stored).getInt() : -1;
        if (format != FORMAT) {
            throw new IllegalStateException("The broker state in " + dir + " has format " + format + "; this broker "
                    + "reads format " + FORMAT + ". Start the broker version that wrote it, or move the directory "
                    + "away to start with no sessions and no retained messages.");
        }
    }

    private boolean isEmpty() {
        for (Family f : Family.values()) {
            try (RocksIterator it = db.newIterator(families[f.ordinal()])) {
                it.seekToFirst();
                if (it.isValid()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Counts the references to each message; messages nobody references (a crash between writes) go. */
    private void countReferences() {
        Map<Long, Integer> counts = new HashMap<>();
        long[] maxSeq = {0};
        scan(Family.DELIVERIES, new byte[0], (key, value) -> {
            counts.merge(StoreRecords.messageIdOfDelivery(value), 1, Integer::sum);
            maxSeq[0] = Math.max(maxSeq[0], ByteBuffer.wrap(key, key.length - 8, 8).getLong());
        });
        references.putAll(counts);
        lastSequence.set(maxSeq[0]);
        List<byte[]> orphans = new ArrayList<>();
        long[] maxId = {0};
        scan(Family.MESSAGES, new byte[0], (key, value) -> {
            long id = ByteBuffer.wrap(key).getLong();
            maxId[0] = Math.max(maxId[0], id);
            if (!counts.containsKey(id)) {
                orphans.add(key);
            }
        });
        lastMessageId.set(maxId[0]);
        for (byte[] k : orphans) {
            delete(Family.MESSAGES, k);
        }
        if (!orphans.isEmpty()) {
            LOG.info("broker state: removed {} messages no session referenced", orphans.size());
        }
    }

    public Path directory() {
        return dir;
    }

    // ---- keys ----------------------------------------------------------------------------------------------------

    /** A key of length-prefixed UTF-8 parts: a prefix of one is never a prefix of another part. */
    public static byte[] key(String... parts) {
        int length = 0;
        byte[][] encoded = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            encoded[i] = parts[i].getBytes(StandardCharsets.UTF_8);
            length += 2 + encoded[i].length;
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        for (byte[] e : encoded) {
            b.putShort((short) e.length).put(e);
        }
        return b.array();
    }

    /** {@code prefix} followed by a big-endian long: keys that sort by it. */
    public static byte[] withLong(byte[] prefix, long value) {
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(value).array();
    }

    /** The parts of a key made by {@link #key}, as many as there are before {@code suffixLength} bytes. */
    public static List<String> parts(byte[] key, int suffixLength) {
        List<String> parts = new ArrayList<>(2);
        ByteBuffer b = ByteBuffer.wrap(key, 0, key.length - suffixLength);
        while (b.remaining() >= 2) {
            int n = b.getShort() & 0xFFFF;
            parts.add(new String(key, b.position(), n, StandardCharsets.UTF_8));
            b.position(b.position() + n);
        }
        return parts;
    }

    /** A new sequence number for a delivery key: later deliveries sort after earlier ones. */
    public long nextSequence() {
        return lastSequence.incrementAndGet();
    }

    // ---- messages and their references ---------------------------------------------------------------------------

    /**
     * The id under which {@code m} is stored, with one more reference to it: the id stored last on this thread if
     * it is this message and still referenced, else a new record.
     */
    public long referenceMessage(Message m) {
        Object[] last = lastStored.get();
        if (last[0] == m) {
            long id = (Long) last[1];
            if (references.computeIfPresent(id, (k, v) -> v + 1) != null) {
                return id;
            }
        }
        long id = lastMessageId.incrementAndGet();
        references.put(id, 1);
        put(Family.MESSAGES, withLong(new byte[0], id), StoreRecords.message(m));
        last[0] = m;
        last[1] = id;
        return id;
    }

    /** One reference to a stored message fewer; the last one deletes it. */
    public void releaseMessage(long id) {
        if (references.compute(id, (k, v) -> v == null || v <= 1 ? null : v - 1) == null) {
            delete(Family.MESSAGES, withLong(new byte[0], id));
        }
    }

    /** A stored message, read back; null if absent. */
    public Message message(long id) {
        byte[] value = get(Family.MESSAGES, withLong(new byte[0], id));
        return value == null ? null : StoreRecords.readMessage(value);
    }

    /**
     * Deletes everything stored of a workspace (deleted): sessions, their deliveries (and the messages only they
     * referenced), inbound QoS 2 ids, retained messages.
     */
    public void deleteWorkspace(String workspace) {
        byte[] prefix = key(workspace);
        scan(Family.DELIVERIES, prefix, (k, v) -> releaseMessage(StoreRecords.messageIdOfDelivery(v)));
        for (Family f : List.of(Family.SESSIONS, Family.DELIVERIES, Family.INBOUND, Family.RETAINED)) {
            deletePrefix(f, prefix);
        }
    }

    public int storedMessages() {
        return references.size();
    }

    // ---- reads and writes ----------------------------------------------------------------------------------------

    public byte[] get(Family family, byte[] key) {
        try {
            return db.get(handle(family), key);
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    public void put(Family family, byte[] key, byte[] value) {
        putRaw(family, key, value);
    }

    /** Writes now, outside any group open on this thread: what must be durable before the next packet leaves. */
    public void putNow(Family family, byte[] key, byte[] value) {
        try {
            db.put(handle(family), writeOptions, key, value);
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    private void putRaw(Family family, byte[] key, byte[] value) {
        try {
            Group g = group.get();
            if (g != null) {
                g.batch().put(handle(family), key, value);
            } else {
                db.put(handle(family), writeOptions, key, value);
            }
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    public void delete(Family family, byte[] key) {
        try {
            Group g = group.get();
            if (g != null) {
                g.batch().delete(handle(family), key);
            } else {
                db.delete(handle(family), writeOptions, key);
            }
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    /** Deletes every key that starts with {@code prefix}. */
    public void deletePrefix(Family family, byte[] prefix) {
        byte[] end = successor(prefix);
        try {
            Group g = group.get();
            if (g != null) {
                g.batch().deleteRange(handle(family), prefix, end);
            } else {
                db.deleteRange(handle(family), writeOptions, prefix, end);
            }
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    /** The least key greater than every key that starts with {@code prefix}. */
    private static byte[] successor(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        throw new IllegalArgumentException("no key follows a prefix of only 0xFF bytes");
    }

    /** Every record whose key starts with {@code prefix}, in key order. */
    public void scan(Family family, byte[] prefix, BiConsumer<byte[], byte[]> each) {
        scan(family, prefix, prefix, (k, v) -> {
            each.accept(k, v);
            return true;
        });
    }

    /** The records whose key starts with {@code prefix}, from {@code from} on, until {@code each} says false. */
    public void scan(Family family, byte[] prefix, byte[] from, BiPredicate<byte[], byte[]> each) {
        try (RocksIterator it = db.newIterator(handle(family))) {
            for (it.seek(from); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!startsWith(key, prefix) || !each.test(key, it.value())) {
                    break;
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /**
     * Runs {@code work}; what it writes on this thread is committed as one batch when it returns, then the
     * actions it deferred with {@link #afterCommit} run. Within a group already open, simply runs it.
     */
    public void inGroup(Runnable work) {
        if (group.get() != null) {
            work.run();
            return;
        }
        Group g = new Group();
        group.set(g);
        try {
            work.run();
            if (g.batch != null && g.batch.count() > 0) {
                db.write(writeOptions, g.batch);
            }
        } catch (RocksDBException e) {
            throw failure(e);
        } finally {
            group.remove();
            if (g.batch != null) {
                g.batch.close();
            }
        }
        for (Runnable r : g.after) {
            r.run();
        }
    }

    /** Runs {@code action} once this thread's open group is committed, or now if none is open. */
    public void afterCommit(Runnable action) {
        Group g = group.get();
        if (g == null) {
            action.run();
        } else {
            g.after.add(action);
        }
    }

    private ColumnFamilyHandle handle(Family family) {
        return family == null ? handles.get(0) : families[family.ordinal()];
    }

    private void syncWal() {
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            LOG.warn("broker state: syncing the write-ahead log failed: {}", e.toString());
        } catch (RuntimeException e) {
            // closed meanwhile
        }
    }

    private IllegalStateException failure(RocksDBException e) {
        return new IllegalStateException("broker state in " + dir + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        if (syncer != null) {
            syncer.shutdownNow();
        }
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            LOG.warn("broker state: final sync failed: {}", e.toString());
        }
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        writeOptions.close();
        cfOptions.close();
        dbOptions.close();
    }
}
