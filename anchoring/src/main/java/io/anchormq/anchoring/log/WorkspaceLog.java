package io.anchormq.anchoring.log;

import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.merkle.MerkleTree;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.merkle.Sha256Hash;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteSigner;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.note.SignedNote;
import io.anchormq.anchoring.proof.TlogProof;
import io.anchormq.anchoring.tiles.CorruptLogException;
import io.anchormq.anchoring.tiles.TileStore;
import io.anchormq.anchoring.tiles.TreeHead;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only log of one workspace: a {@link TileStore} in a directory (so a static file server can serve it as
 * C2SP tlog-tiles), whose checkpoints, of origin {@code <origin prefix>/<workspace>}, are signed by every configured
 * key. Entries are {@link LogEntry} v1 with a fresh random salt each; an entry's sequence number is its leaf index.
 *
 * <p>Keys rotate by configuration: every configured signer signs every checkpoint, and on open the stored checkpoint
 * must verify with at least one of them. So a new key is added next to the old one, the log opened once (which
 * re-signs the checkpoint with both), and then the old key may go. Replacing a key in one step is refused: the
 * stored checkpoint would verify with no configured key, which is also what a forged checkpoint looks like.
 *
 * <p>Concurrency: one writer at a time ({@link #append}, {@link #close}); the readers ({@link #size},
 * {@link #checkpoint}, {@link #proof}, {@link #consistencyProof}, {@link #entry}, {@link #find}) may run on any
 * thread at any time and see the log as of the latest checkpoint, never an entry beyond it. When a write fails, the
 * store refuses further writes until reopened: {@link #append} reopens it (recovery removes the failed batch) and,
 * if that fails too, tries again at the next append. While the store is being reopened, or if reopening failed,
 * {@link #size} and {@link #checkpoint()} still answer, and the readers that read the store get
 * {@link IllegalStateException}s.
 */
public final class WorkspaceLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkspaceLog.class);
    private static final String CHECKPOINT_FILE = "checkpoint"; // tlog-tiles: the latest checkpoint, at the root
    private static final String PRIVATE_DIR = ".anchormq";       // TileStore's, and ours

    private final Path dir;
    private final String workspace;
    private final String origin;
    private final NoteSigner[] signers;
    private final List<NoteVerifier> verifiers;
    private final Function<String, TreeHead> checkpointReader;
    private final SecureRandom random = new SecureRandom();
    private final LookupIndex lookup;
    /** What readers see; replaced (never changed) once everything it covers is durable and indexed. */
    private volatile Head head;
    /** An earlier write failed and the store is not reopened yet (writer only). */
    private boolean storeFailed;
    private volatile boolean closed;

    /** The store to read from, its latest checkpoint's size and the checkpoint as signed. */
    private record Head(TileStore store, long size, SignedNote note, String text) {
    }

    private WorkspaceLog(Path dir, String workspace, String origin, NoteSigner[] signers, List<NoteVerifier> verifiers,
            Function<String, TreeHead> checkpointReader, LookupIndex lookup, Head head) {
        this.dir = dir;
        this.workspace = workspace;
        this.origin = origin;
        this.signers = signers;
        this.verifiers = verifiers;
        this.checkpointReader = checkpointReader;
        this.lookup = lookup;
        this.head = head;
    }

    /**
     * Opens the log of {@code workspace} in {@code dir}, creating an empty one if the directory is new or empty.
     * The stored checkpoint must be of {@code origin} and verify with at least one of the signers' keys; the
     * tiles must match it ({@link TileStore#open}: a batch appended but never checkpointed is removed). If the
     * stored checkpoint is not signed by exactly the configured keys, it is signed again and rewritten.
     *
     * @param origin  the log's origin, {@code <origin prefix>/<workspace>}
     * @param signers the checkpoint signing keys, at least one (several during a rotation)
     * @throws CorruptLogException the stored log does not match its checkpoint, or the checkpoint is not this log's
     *                             or not signed by any of the keys (the message says which)
     * @throws IOException         the directory cannot be read or written, or the log is open elsewhere
     */
    public static WorkspaceLog open(Path dir, String workspace, String origin, List<NoteSigner> signers)
            throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(origin, "origin");
        if (workspace.isEmpty()) {
            throw new IllegalArgumentException("the workspace name is empty");
        }
        if (!origin.endsWith("/" + workspace)) {
            throw new IllegalArgumentException("origin " + origin + " does not end in /" + workspace
                    + ": a workspace's origin is <origin prefix>/<workspace>, and verifiers check that");
        }
        new Checkpoint(origin, 0, Rfc9162.emptyRoot()); // the origin must be a valid checkpoint line
        new LogEntry(workspace, "", "", 0, new byte[Rfc9162.HASH_SIZE], 0, new byte[LogEntry.SALT_SIZE], 0)
                .encode(); // and the workspace must fit an entry
        if (signers.isEmpty()) {
            throw new IllegalArgumentException("a log needs at least one checkpoint signer");
        }
        Set<String> labels = new HashSet<>();
        for (NoteSigner signer : signers) {
            if (!labels.add(signer.verifier().keyLabel())) {
                throw new IllegalArgumentException("signer " + signer.verifier().keyLabel() + " is given twice");
            }
        }
        NoteSigner[] keys = signers.toArray(NoteSigner[]::new);
        List<NoteVerifier> verifiers = signers.stream().map(NoteSigner::verifier).toList();
        Function<String, TreeHead> reader = text -> readCheckpoint(text, origin, verifiers);
        TileStore store = TileStore.open(dir, reader);
        try {
            Head head = signedHead(dir, store, origin, keys);
            LookupIndex lookup = LookupIndex.open(dir.resolve(PRIVATE_DIR), store, head.size,
                    treeSize -> MerkleTree.root(store, treeSize));
            return new WorkspaceLog(dir, workspace, origin, keys, verifiers, reader, lookup, head);
        } catch (IOException | RuntimeException | Error e) {
            closeAfterFailure(store, e);
            throw e;
        }
    }

    public String workspace() {
        return workspace;
    }

    public String origin() {
        return origin;
    }

    /** The public keys of the signers: what verifiers of this log's checkpoints and proofs need. */
    public List<NoteVerifier> verifiers() {
        return verifiers;
    }

    /** The size of the latest checkpoint: entries {@code 0..size()-1} are logged. */
    public long size() {
        return head().size;
    }

    /** The latest signed checkpoint (C2SP signed note text). */
    public String checkpoint() {
        return head().text;
    }

    /**
     * A signed checkpoint of the tree of the first {@code treeSize} entries, {@code treeSize ≤ size()}: the
     * latest one, or one signed now (Ed25519 is deterministic, and a signature on an earlier (size, root) of this
     * log states nothing the log has not already committed to).
     */
    public String checkpoint(long treeSize) {
        Head current = head();
        return noteFor(current, treeSize).format();
    }

    /**
     * Appends the records as entries {@code size()..size()+n-1}, each with a fresh 16-byte random salt and the
     * receive time in microseconds, writes them, and signs and writes the new checkpoint; returns once the entries
     * and the checkpoint are durable (in the store's journal, see {@link TileStore}).
     *
     * @throws IllegalArgumentException a record cannot be an entry (it names the record); nothing was written
     * @throws IOException              a write failed, and the store was reopened, which removes what was written
     *                                  of the batch. Only a failure after the batch's checkpoint was in place (a
     *                                  background flush of earlier tiles, say) leaves the batch in the log: never
     *                                  is an entry reported logged without being so; the reverse is possible but
     *                                  rare.
     */
    public synchronized AppendedBatch append(List<LogRecord> records) throws IOException {
        requireOpen();
        if (storeFailed) {
            reopenStore(); // throws if it fails again
        }
        Head current = head;
        long first = current.size;
        if (records.isEmpty()) {
            return new AppendedBatch(first, new byte[0], first, current.text);
        }
        int n = records.size();
        byte[] salts = new byte[n * LogEntry.SALT_SIZE];
        random.nextBytes(salts);
        List<byte[]> entries = new ArrayList<>(n);
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            LogRecord record = records.get(i);
            byte[] entry;
            try {
                entry = LogEntry.encode(workspace, record.clientId(), record.topic(), record.qos(),
                        record.payloadSha256Shared(), micros(record.receivedAt()), salts, i * LogEntry.SALT_SIZE,
                        first + i);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("record " + i + " of the batch: " + e.getMessage(), e);
            }
            entries.add(entry);
            keys[i] = lookup.keyOfEntry(entry);
        }
        lookup.prepare(first, keys); // a failure here leaves the store untouched
        long size = first + n;
        byte[] root;
        SignedNote note;
        try {
            current.store.append(entries);
            root = MerkleTree.root(current.store, size);
            note = sign(size, root);
            // signed here a moment ago: the store checks it against its tree, not its signature again (an Ed25519
            // verification per batch was 5 % of the writer's time)
            current.store.writeCheckpoint(note.format(), new TreeHead(size, Sha256Hash.of(root, "root")));
        } catch (IOException | RuntimeException | Error e) {
            storeFailed = true;
            try {
                reopenStore();
            } catch (IOException | RuntimeException reopenFailure) {
                e.addSuppressed(reopenFailure);
            }
            throw e;
        }
        byte[] leafHashes = new byte[n * Rfc9162.HASH_SIZE]; // hashed by the store: a memory read
        for (int i = 0; i < n; i++) {
            System.arraycopy(current.store.hash(0, first + i), 0, leafHashes, i * Rfc9162.HASH_SIZE, Rfc9162.HASH_SIZE);
        }
        lookup.add(first, keys, root);
        String text = note.format();
        head = new Head(current.store, size, note, text);
        return new AppendedBatch(first, leafHashes, size, text);
    }

    /**
     * The proof of entry {@code index} against the latest checkpoint.
     *
     * @throws UncheckedIOException the entry cannot be read
     */
    public TlogProof proof(long index) {
        Head current = head();
        return proof(current, index, current.size);
    }

    /**
     * The proof of entry {@code index} against the checkpoint of the first {@code treeSize} entries,
     * {@code index < treeSize ≤ size()} (for example the size a chain anchor covers).
     *
     * @throws UncheckedIOException the entry cannot be read
     */
    public TlogProof proof(long index, long treeSize) {
        return proof(head(), index, treeSize);
    }

    /** The RFC 9162 consistency proof from the tree of {@code oldSize} entries to that of {@code newSize}. */
    public List<byte[]> consistencyProof(long oldSize, long newSize) {
        Head current = head();
        if (oldSize < 0 || oldSize > newSize || newSize > current.size) {
            throw new IllegalArgumentException("no consistency proof from tree size " + oldSize + " to " + newSize
                    + " in a log of size " + current.size);
        }
        return MerkleTree.consistencyProof(current.store, oldSize, newSize);
    }

    /**
     * Entry {@code index < size()}.
     *
     * @throws CorruptLogException the stored bytes are not this log's entry {@code index}
     */
    public LogEntry entry(long index) throws IOException {
        Head current = head();
        if (index < 0 || index >= current.size) {
            throw new IllegalArgumentException("no entry " + index + " in the log of size " + current.size);
        }
        return readEntry(current, index);
    }

    /**
     * A tlog-tiles tile or entry bundle of a tree no larger than the latest checkpoint, by its path below
     * {@code tile/}, or null if there is none: the store publishes partial tiles as files only every so often, and
     * serves the latest ones from here meanwhile.
     */
    public byte[] tile(String relativePath) throws IOException {
        return head().store.tile(relativePath);
    }

    /**
     * Every logged entry with this client id, topic and payload SHA-256, by index, oldest first. A message logged
     * twice (a QoS 1 redelivery, say) has two entries.
     */
    public List<Long> find(String clientId, String topic, byte[] payloadSha256) throws IOException {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(topic, "topic");
        if (payloadSha256.length != Rfc9162.HASH_SIZE) {
            throw new IllegalArgumentException(
                    "payload SHA-256 has " + payloadSha256.length + " bytes, not " + Rfc9162.HASH_SIZE);
        }
        Head current = head(); // before the table: whatever the table then holds includes this head's entries
        long key = lookup.keyOf(clientId, topic, payloadSha256);
        List<Long> found = new ArrayList<>(1);
        for (long index : lookup.candidates(key, current.size)) {
            LogEntry entry = readEntry(current, index); // the key hash may collide: the entry decides
            if (entry.clientId().equals(clientId) && entry.topic().equals(topic)
                    && Arrays.equals(entry.payloadSha256(), payloadSha256)) {
                found.add(index);
            }
        }
        return found;
    }

    /** Closes the log; readers and writers get {@link IllegalStateException}s afterwards. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lookup.close();
        } catch (IOException e) {
            log.warn("{}: closing the lookup index: {} (the next open recomputes its keys)", dir, e.toString());
        }
        try {
            head.store.close();
        } catch (IOException e) {
            log.warn("{}: closing the tile store: {}", dir, e.toString());
        }
    }

    /**
     * Whether {@code record} can be an entry of this log (its texts are valid Unicode and the entry fits 65535
     * bytes), so that a batch is not failed by one bad record.
     *
     * @throws IllegalArgumentException it cannot, and why
     */
    void check(LogRecord record) {
        LogEntry.checkEncodable(workspace, record.clientId(), record.topic());
    }

    private static long micros(Instant time) {
        try {
            return Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000L), time.getNano() / 1_000);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("receive time " + time + " is beyond what microseconds since 1970"
                    + " fit in 64 bits", e);
        }
    }

    private TlogProof proof(Head current, long index, long treeSize) {
        if (index < 0 || index >= treeSize) {
            throw new IllegalArgumentException("no entry " + index + " in the tree of size " + treeSize);
        }
        SignedNote note = noteFor(current, treeSize);
        try {
            byte[] entry = current.store.entry(index);
            return new TlogProof(entry, index, MerkleTree.inclusionProof(current.store, index, treeSize), note);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SignedNote noteFor(Head current, long treeSize) {
        if (treeSize < 0 || treeSize > current.size) {
            throw new IllegalArgumentException("no checkpoint of tree size " + treeSize + " in a log of size "
                    + current.size);
        }
        return treeSize == current.size ? current.note : sign(treeSize, MerkleTree.root(current.store, treeSize));
    }

    private LogEntry readEntry(Head current, long index) throws IOException {
        LogEntry entry;
        try {
            entry = LogEntry.decode(current.store.entry(index));
        } catch (IllegalArgumentException e) {
            throw new CorruptLogException("entry " + index + " of " + dir + " is not a log entry: " + e.getMessage(),
                    e);
        }
        if (entry.sequence() != index || !entry.workspace().equals(workspace)) {
            throw new CorruptLogException("entry " + index + " of " + dir + " is entry " + entry.sequence()
                    + " of workspace " + entry.workspace());
        }
        return entry;
    }

    private SignedNote sign(long size, byte[] root) {
        return sign(origin, size, root, signers);
    }

    private static SignedNote sign(String origin, long size, byte[] root, NoteSigner[] signers) {
        return SignedNote.sign(new Checkpoint(origin, size, root).format(), signers);
    }

    /** For {@link TileStore}: a stored checkpoint is of this log and verifies with a configured key. */
    private static TreeHead readCheckpoint(String text, String origin, List<NoteVerifier> verifiers) {
        SignedNote note = SignedNote.parse(text);
        try {
            note.verify(verifiers);
        } catch (SignatureException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Checkpoint checkpoint = Checkpoint.parse(note.text());
        if (!checkpoint.origin().equals(origin)) {
            throw new IllegalArgumentException("it is a checkpoint of " + checkpoint.origin() + ", not of " + origin);
        }
        return new TreeHead(checkpoint.size(), checkpoint.rootHash());
    }

    /**
     * The head of a freshly opened store, its checkpoint signed by exactly the configured keys: written if the
     * stored one differs (a new log has none; after a rotation the stored one has other signatures).
     */
    private static Head signedHead(Path dir, TileStore store, String origin, NoteSigner[] signers)
            throws IOException {
        long size = store.size();
        SignedNote note = sign(origin, size, MerkleTree.root(store, size), signers);
        String text = note.format();
        Path file = dir.resolve(CHECKPOINT_FILE);
        if (!Files.exists(file) || !text.equals(Files.readString(file, StandardCharsets.UTF_8))) {
            store.writeCheckpoint(text);
        }
        return new Head(store, size, note, text);
    }

    private static void closeAfterFailure(TileStore store, Throwable failure) {
        try {
            store.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** After a failed write: closes the store and opens it again, whose recovery removes the failed batch. */
    private void reopenStore() throws IOException {
        try {
            head.store.close();
        } catch (IOException e) {
            log.warn("{}: closing the failed tile store: {}", dir, e.toString());
        }
        TileStore store = TileStore.open(dir, checkpointReader);
        try {
            Head reopened = signedHead(dir, store, origin, signers);
            lookup.catchUp(store, reopened.size, MerkleTree.root(store, reopened.size));
            head = reopened;
        } catch (IOException | RuntimeException | Error e) {
            closeAfterFailure(store, e);
            throw e;
        }
        storeFailed = false;
        log.warn("{}: reopened after a failed write; the log continues at size {}", dir, head.size);
    }

    private Head head() {
        requireOpen();
        return head;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the log of workspace " + workspace + " in " + dir + " is closed");
        }
    }
}
