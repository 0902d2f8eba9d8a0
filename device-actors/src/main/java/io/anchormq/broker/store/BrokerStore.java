package io.anchormq.broker.store;

import io.anchormq.broker.message.Message;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * publish, its routing to persistent sessions and its QoS 2 packet id land together or not at all. On a Netty event
 * loop (where the sessions run) the groups of one turn share one batch, committed by a task queued behind the work
 * the loop already has: one write, and one write-ahead log append, for the publishes of many sessions, and the
 * acknowledgements that wait for it go out in the same turn.
 *
 * <p>Deletes of what was completed ({@link #deleteLater}) are not a write of their own: they ride along with the
 * next batch any thread commits, or are written within {@link #LATER_MILLIS} by a background thread. A crash may
 * lose the last of them, which only makes a delivery come back (QoS 1 sent again, QoS 2's PUBREL sent again).
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

    /** How long a delete from {@link #deleteLater} waits at most for a batch to ride along with. */
    static final long LATER_MILLIS = 10;
    /** How many of them one group takes along, so that no publisher pays for a long backlog alone. */
    private static final int LATER_PER_GROUP = 1024;

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
    /** Syncs the write-ahead log (fsync interval) and writes the deletes no group took along. */
    private final ScheduledExecutorService background;
    /** References to each stored message from the deliveries of sessions; counted at open. */
    private final ConcurrentHashMap<Long, Integer> references = new ConcurrentHashMap<>();
    private final AtomicLong lastMessageId = new AtomicLong();
    private final AtomicLong lastSequence = new AtomicLong();
    private final ThreadLocal<Group> groups = ThreadLocal.withInitial(this::newGroup);
    /** Every thread's group, for their batches' native memory to be freed at close. */
    private final List<Group> allGroups = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Later> later = new ConcurrentLinkedQueue<>();
    private final AtomicInteger laterCount = new AtomicInteger();
    /** From close on, groups commit as they end: no loop is relied on any more. */
    private volatile boolean closed;
    private volatile boolean dbClosed;
    /** Per thread, the last message stored: the router hands one message to all its recipients in a row. */
    private final ThreadLocal<Object[]> lastStored = ThreadLocal.withInitial(() -> new Object[2]);

    /** A thread's batch, reused from group to group. */
    private final class Group {
        /** The thread's event loop, which commits the batch of its turn; null: committed as each group ends. */
        final EventExecutor loop = ThreadExecutorMap.currentExecutor();
        final Runnable commit = () -> commit(this);
        boolean open;
        /** Groups of this turn are waiting in the batch for {@link #commit}. */
        boolean pending;
        /** Made at the first write: most QoS 1 publishes of clean sessions write nothing. */
        WriteBatch batch;
        final List<Runnable> after = new ArrayList<>(4);

        WriteBatch batch() {
            if (batch == null) {
                batch = new WriteBatch();
            }
            return batch;
        }

        boolean hasWrites() {
            return batch != null && batch.count() > 0;
        }

        /** Whether writes and actions on this thread now join the batch. */
        boolean collecting() {
            return open || pending;
        }
    }

    private record Later(ColumnFamilyHandle family, byte[] key, boolean writtenOnce) {
    }

    private Group newGroup() {
        Group g = new Group();
        allGroups.add(g);
        return g;
    }

    private BrokerStore(Path dir, Fsync fsync, Duration interval, Duration laterInterval) throws RocksDBException {
        this.dir = dir;
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                // sessions write small records at a high rate: the WAL, not the memtable size, bounds recovery
                .setMaxTotalWalSize(64L << 20)
                // most records are deleted soon after they are written: small memtables, flushed and reused
                // within seconds, and write-ahead log files written over again, keep the broker on memory and
                // page cache it has touched already (fresh pages cost a fault and zeroing each: a quarter of a
                // durable broker's core at 25,000 msg/s in memtables of 128 MB)
                .setDbWriteBufferSize(64L << 20)
                .setRecycleLogFileNum(4);
        cfOptions = new ColumnFamilyOptions().optimizeLevelStyleCompaction()
                .setWriteBufferSize(16L << 20).setMaxWriteBufferNumber(4);
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
        background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "anchormq-store");
            t.setDaemon(true);
            return t;
        });
        if (fsync == Fsync.INTERVAL) {
            long ms = Math.max(1, interval.toMillis());
            background.scheduleWithFixedDelay(this::syncWal, ms, ms, TimeUnit.MILLISECONDS);
        }
        long laterMs = laterInterval.toMillis();
        background.scheduleWithFixedDelay(this::writeLaterQuietly, laterMs, laterMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens (or creates) the store in {@code dir}. A store that cannot be read, or of another format, is an error
     * that names the directory: the broker must not start empty over state it could not read.
     */
    public static BrokerStore open(Path dir, Fsync fsync, Duration interval) {
        return open(dir, fsync, interval, Duration.ofMillis(LATER_MILLIS));
    }

    /** {@link #open}, with deletes from {@link #deleteLater} written every {@code laterInterval} at the latest. */
    static BrokerStore open(Path dir, Fsync fsync, Duration interval, Duration laterInterval) {
        BrokerStore store;
        try {
            Files.createDirectories(dir);
            store = new BrokerStore(dir, fsync, interval, laterInterval);
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

    /** One reference to a stored message fewer; the last one deletes it (in this thread's group, if one is open). */
    public void releaseMessage(long id) {
        if (unreference(id)) {
            delete(Family.MESSAGES, withLong(new byte[0], id));
        }
    }

    /** {@link #releaseMessage}, with the delete {@linkplain #deleteLater later}. */
    public void releaseMessageLater(long id) {
        if (unreference(id)) {
            deleteLater(Family.MESSAGES, withLong(new byte[0], id), true); // a message's record is written once
        }
    }

    /** Whether that was the last reference. */
    private boolean unreference(long id) {
        return references.compute(id, (k, v) -> v == null || v <= 1 ? null : v - 1) == null;
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
        writeLater(); // a delivery whose delete is still pending must not release its message a second time
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
            Group g = groups.get();
            if (g.collecting()) {
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
            Group g = groups.get();
            if (g.collecting()) {
                g.batch().delete(handle(family), key);
            } else {
                db.delete(handle(family), writeOptions, key);
            }
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    /**
     * Deletes a key that is never written again (a delivery's or a message's: their ids are not reused) with a
     * later batch: what completes needs no write of its own. Losing it in a crash must be harmless; anything that
     * reads such keys to count or release them calls {@link #writeLater} first.
     *
     * @param writtenOnce the key was put exactly once and is deleted by nothing else: a RocksDB single delete,
     *     which a flush drops together with the put it meets, where a delete would be written out as a tombstone
     */
    public void deleteLater(Family family, byte[] key, boolean writtenOnce) {
        later.add(new Later(handle(family), key, writtenOnce));
        laterCount.incrementAndGet();
    }

    /** Writes the pending {@link #deleteLater} deletes now. */
    public void writeLater() {
        if (laterCount.get() == 0) {
            return;
        }
        try (WriteBatch batch = new WriteBatch()) {
            takeLater(batch, Integer.MAX_VALUE);
            if (batch.count() > 0) {
                db.write(writeOptions, batch);
            }
        } catch (RocksDBException e) {
            throw failure(e);
        }
    }

    private void writeLaterQuietly() {
        try {
            writeLater();
        } catch (RuntimeException e) {
            LOG.warn("broker state: writing completed deletes failed: {}", e.toString());
        }
    }

    private void takeLater(WriteBatch batch, int max) throws RocksDBException {
        Later l;
        for (int i = 0; i < max && (l = later.poll()) != null; i++) {
            laterCount.decrementAndGet();
            if (l.writtenOnce()) {
                batch.singleDelete(l.family(), l.key());
            } else {
                batch.delete(l.family(), l.key());
            }
        }
    }

    /** Deletes every key that starts with {@code prefix}. */
    public void deletePrefix(Family family, byte[] prefix) {
        byte[] end = successor(prefix);
        try {
            Group g = groups.get();
            if (g.collecting()) {
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
     * Runs {@code work}; what it writes on this thread is committed as one batch, then the actions it deferred with
     * {@link #afterCommit} run: when it returns, or on an event loop with the batch of the loop's turn. Within a
     * group already open, simply runs it.
     */
    public void inGroup(Runnable work) {
        Group g = groups.get();
        if (g.open) {
            work.run();
            return;
        }
        if (g.loop != null && !closed) {
            inLoopGroup(g, work);
            return;
        }
        g.open = true;
        Runnable[] after;
        try {
            work.run();
            write(g.batch);
        } catch (RocksDBException e) {
            throw failure(e);
        } finally {
            g.open = false;
            if (g.batch != null) {
                g.batch.clear();
            }
            after = takeActions(g);
        }
        run(after);
    }

    /** Writes a group's batch, with deletes left for later along. */
    private void write(WriteBatch batch) throws RocksDBException {
        if (batch != null && batch.count() > 0) {
            if (laterCount.get() > 0) {
                takeLater(batch, LATER_PER_GROUP);
            }
            db.write(writeOptions, batch);
        }
    }

    /** A group on an event loop: joins the batch of the loop's turn, committed by {@link #commit}. */
    private void inLoopGroup(Group g, Runnable work) {
        WriteBatch batch = g.batch();
        int actions = g.after.size();
        g.open = true;
        try {
            batch.setSavePoint();
            work.run();
            batch.popSavePoint();
        } catch (RuntimeException | Error e) {
            // what this group wrote goes, what the others of the turn wrote stays
            try {
                batch.rollbackToSavePoint();
            } catch (RocksDBException rollback) {
                e.addSuppressed(rollback);
            }
            g.after.subList(actions, g.after.size()).clear();
            throw e;
        } catch (RocksDBException e) {
            throw failure(e);
        } finally {
            g.open = false;
        }
        if (g.pending) {
            return;
        }
        if (!g.hasWrites()) {
            run(takeActions(g)); // nothing to wait for, and no earlier action of the thread waits: as if committed
            return;
        }
        g.pending = true;
        g.loop.execute(g.commit);
    }

    /** Commits the batch of a loop's turn, then runs its actions (acknowledgements, deliveries). */
    private void commit(Group g) {
        if (!g.pending || dbClosed) {
            return;
        }
        try {
            write(g.batch);
        } catch (RocksDBException | RuntimeException e) {
            // nothing of the turn is acknowledged: its publishers send again
            int withheld = g.after.size();
            g.after.clear();
            LOG.error("broker state in {}: a write failed; {} acknowledgements and deliveries withheld: {}", dir,
                    withheld, e.toString());
            return;
        } finally {
            g.pending = false;
            if (g.batch != null) {
                g.batch.clear();
            }
        }
        run(takeActions(g));
    }

    /** The group's actions, taken out of it: they may open groups of their own on this thread. */
    private static Runnable[] takeActions(Group g) {
        Runnable[] after = g.after.isEmpty() ? null : g.after.toArray(new Runnable[0]);
        g.after.clear();
        return after;
    }

    private static void run(Runnable[] actions) {
        if (actions != null) {
            for (Runnable r : actions) {
                r.run();
            }
        }
    }

    /** Runs {@code action} once this thread's open group is committed, or now if none is open. */
    public void afterCommit(Runnable action) {
        Group g = groups.get();
        if (!g.collecting()) {
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

    /** The batches event loops have not committed yet: by their loop if it still runs, else here. */
    private void commitPendingTurns() {
        for (Group g : allGroups) {
            if (g.loop == null || !g.pending) {
                continue;
            }
            try {
                if (g.loop.inEventLoop()) {
                    commit(g);
                } else if (!g.loop.isShuttingDown()) {
                    g.loop.submit(g.commit).get(5, TimeUnit.SECONDS);
                } else if (g.loop.awaitTermination(5, TimeUnit.SECONDS)) {
                    commit(g); // its thread has ended: nothing else touches the group
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.warn("broker state: the last batch of an event loop was not committed at close: {}", e.toString());
            }
        }
    }

    private IllegalStateException failure(RocksDBException e) {
        return new IllegalStateException("broker state in " + dir + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        closed = true;
        commitPendingTurns();
        background.shutdownNow();
        try {
            background.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            writeLater();
        } catch (RuntimeException e) {
            LOG.warn("broker state: writing completed deletes at close failed: {}", e.toString());
        }
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            LOG.warn("broker state: final sync failed: {}", e.toString());
        }
        for (Group g : allGroups) {
            if (g.batch != null) {
                g.batch.close();
            }
        }
        dbClosed = true;
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        writeOptions.close();
        cfOptions.close();
        dbOptions.close();
    }
}
