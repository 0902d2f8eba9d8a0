package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.merkle.Sha256Hash;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The write-ahead journal of a {@link TileStore}: what makes a batch durable with one {@code fdatasync}, where
 * writing its tiles durably took about ten (each changed bundle and tile, the checkpoint, and every directory that
 * gained an entry). A batch's entries and then its signed checkpoint are appended to the newest segment and forced;
 * the tile files are written without a force. A background flush makes the tiles of a size durable later, and then
 * the segments before that size go. On open after a crash, the entries of every segment are written again as tiles
 * up to the last checkpoint in the journal.
 *
 * <p>A segment, {@code journal/<sequence>}, begins with a header naming the tree it continues (size and root, so
 * recovery can verify the tiles below it), followed by records, each {@code type (1) | length (4) | CRC-32C of type,
 * length and payload (4) | payload}: an entries record ({@code first index (8) | count (4) | (uint16 length,
 * bytes)*}) or a checkpoint record (the signed note, UTF-8). A record cut short by a crash fails its length or CRC
 * and ends the segment: it was never forced, so never reported as logged.
 *
 * <p>One writer; not thread-safe.
 */
final class Journal implements Closeable {

    private static final byte[] MAGIC = "anchormq-journal 1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_SIZE = MAGIC.length + 8 + Rfc9162.HASH_SIZE + 4;
    private static final byte ENTRIES = 1;
    private static final byte CHECKPOINT = 2;
    private static final int RECORD_HEAD = 1 + 4 + 4;

    /** What the segments on disk hold, for recovery. */
    record Contents(TreeHead base, List<byte[]> entries, String lastCheckpoint, long lastCheckpointSize) {
    }

    private final Path dir;
    private FileChannel segment;
    private long sequence;
    private long segmentBytes;
    private long committedBytes;
    private ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);

    private Journal(Path dir) {
        this.dir = dir;
    }

    /**
     * Reads the segments in {@code dir}; {@code null} if there are none, or none holds a complete checkpoint record
     * (then the checkpoint file is as the last flush left it, and the journal adds nothing).
     *
     * @throws CorruptLogException a segment other than the newest is damaged, or segments do not continue each other
     */
    static Contents read(Path dir) throws IOException {
        List<Path> segments = segments(dir);
        TreeHead base = null;
        long size = 0;
        List<byte[]> entries = new ArrayList<>();
        String lastCheckpoint = null;
        long lastCheckpointSize = -1;
        int lastCheckpointEntries = 0;
        for (int s = 0; s < segments.size(); s++) {
            Path file = segments.get(s);
            boolean newest = s == segments.size() - 1;
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
            TreeHead header = readHeader(bytes);
            if (header == null) {
                if (newest && s > 0) {
                    break; // created by a rotation the crash interrupted: nothing was written to it
                }
                throw new CorruptLogException(dir.getFileName() + "/" + file.getFileName()
                        + ": not a journal segment (damaged header)");
            }
            if (base == null) {
                base = header;
                size = header.size();
            } else if (header.size() != lastCheckpointSize || size != lastCheckpointSize) {
                throw new CorruptLogException(dir.getFileName() + "/" + file.getFileName() + ": continues the tree"
                        + " of size " + header.size() + ", but the segment before it ends at " + lastCheckpointSize);
            }
            while (bytes.remaining() >= RECORD_HEAD) {
                int start = bytes.position();
                byte type = bytes.get();
                int length = bytes.getInt();
                int crc = bytes.getInt();
                if (length < 0 || length > bytes.remaining() || crc != crc(bytes.array(), start, length)) {
                    bytes.position(start);
                    break;
                }
                ByteBuffer payload = bytes.slice(bytes.position(), length);
                bytes.position(bytes.position() + length);
                if (type == ENTRIES) {
                    long first = payload.getLong();
                    int count = payload.getInt();
                    if (first != size) {
                        throw new CorruptLogException(file.getFileName() + ": entries from " + first
                                + " where the journal is at " + size);
                    }
                    for (int i = 0; i < count; i++) {
                        byte[] entry = new byte[Short.toUnsignedInt(payload.getShort())];
                        payload.get(entry);
                        entries.add(entry);
                    }
                    size += count;
                } else if (type == CHECKPOINT) {
                    lastCheckpoint = StandardCharsets.UTF_8.decode(payload).toString();
                    lastCheckpointEntries = entries.size();
                    lastCheckpointSize = size;
                } else {
                    throw new CorruptLogException(file.getFileName() + ": unknown record type " + type);
                }
            }
            if (bytes.hasRemaining() && !newest) {
                throw new CorruptLogException(dir.getFileName() + "/" + file.getFileName() + ": damaged record at byte "
                        + bytes.position() + ", but a newer segment follows");
            }
        }
        if (lastCheckpoint == null) {
            return null;
        }
        return new Contents(base, entries.subList(0, lastCheckpointEntries), lastCheckpoint, lastCheckpointSize);
    }

    /** Starts a journal in {@code dir} with one segment continuing {@code base}, after deleting every old one. */
    static Journal start(Path dir, TreeHead base) throws IOException {
        Files.createDirectories(dir);
        Journal journal = new Journal(dir);
        List<Path> old = segments(dir);
        journal.sequence = old.isEmpty() ? 0 : sequenceOf(old.get(old.size() - 1)) + 1;
        journal.openSegment(base);
        journal.deleteBefore(journal.sequence);
        return journal;
    }

    /** Adds an entries record, not yet forced. */
    void addEntries(long first, List<byte[]> entries) throws IOException {
        int length = 8 + 4;
        for (byte[] entry : entries) {
            length += 2 + entry.length;
        }
        ByteBuffer record = recordBuffer(length);
        record.putLong(first).putInt(entries.size());
        for (byte[] entry : entries) {
            record.putShort((short) entry.length).put(entry);
        }
        write(ENTRIES, record);
    }

    /** Adds a checkpoint record and forces the segment: every record so far is durable when this returns. */
    void commit(String signedNote) throws IOException {
        byte[] note = signedNote.getBytes(StandardCharsets.UTF_8);
        write(CHECKPOINT, recordBuffer(note.length).put(note));
        segment.force(false);
        committedBytes = segmentBytes;
    }

    /**
     * After a failed write: cuts the segment back to {@code length} (a {@link #committedBytes} of this segment),
     * durably, so that recovery does not replay what was added since.
     */
    void cutBack(long length) throws IOException {
        segment.truncate(length);
        segment.force(false);
        segmentBytes = length;
        committedBytes = length;
    }

    /** The segment's length up to its last commit. */
    long committedBytes() {
        return committedBytes;
    }

    long segmentBytes() {
        return segmentBytes;
    }

    /**
     * Starts a new segment continuing {@code base} (the size and root of the last commit) and returns its sequence
     * number; the older segments stay until {@link #deleteBefore} that number, once the tiles of {@code base} are
     * durable.
     */
    long rotate(TreeHead base) throws IOException {
        segment.close();
        sequence++;
        openSegment(base);
        return sequence;
    }

    /** Deletes the segments older than {@code sequence}; durably, since recovery would otherwise replay them. */
    void deleteBefore(long sequence) throws IOException {
        boolean deleted = false;
        for (Path file : segments(dir)) {
            if (sequenceOf(file) < sequence) {
                Files.deleteIfExists(file);
                deleted = true;
            }
        }
        if (deleted) {
            DurableFiles.forceDirectory(dir);
        }
    }

    /** Closes and deletes every segment: for a clean close, once all tiles and the checkpoint are durable. */
    void deleteAll() throws IOException {
        close();
        deleteBefore(Long.MAX_VALUE);
    }

    @Override
    public void close() throws IOException {
        if (segment != null) {
            segment.close();
        }
    }

    private void openSegment(TreeHead base) throws IOException {
        Path file = dir.resolve(String.format("%016d", sequence));
        segment = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
        header.put(MAGIC).putLong(base.size()).put(base.rootHash().bytes());
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, HEADER_SIZE - 4);
        header.putInt((int) crc.getValue()).flip();
        while (header.hasRemaining()) {
            segment.write(header);
        }
        segment.force(false);
        DurableFiles.forceDirectory(dir);
        segmentBytes = HEADER_SIZE;
        committedBytes = HEADER_SIZE;
    }

    private static TreeHead readHeader(ByteBuffer bytes) {
        if (bytes.remaining() < HEADER_SIZE
                || !ByteBuffer.wrap(MAGIC).equals(bytes.slice(0, MAGIC.length))) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.array(), 0, HEADER_SIZE - 4);
        if ((int) crc.getValue() != bytes.getInt(HEADER_SIZE - 4)) {
            return null;
        }
        bytes.position(MAGIC.length);
        long size = bytes.getLong();
        byte[] root = new byte[Rfc9162.HASH_SIZE];
        bytes.get(root);
        bytes.position(HEADER_SIZE);
        return new TreeHead(size, Sha256Hash.of(root, "journal base root"));
    }

    /** The shared buffer, cleared, with room for a record head and {@code length} payload bytes. */
    private ByteBuffer recordBuffer(int length) {
        if (buffer.capacity() < RECORD_HEAD + length) {
            buffer = ByteBuffer.allocate(Math.max(RECORD_HEAD + length, buffer.capacity() * 2));
        }
        buffer.clear();
        buffer.position(RECORD_HEAD);
        return buffer;
    }

    private void write(byte type, ByteBuffer record) throws IOException {
        int length = record.position() - RECORD_HEAD;
        record.put(0, type).putInt(1, length);
        record.putInt(5, crc(record.array(), 0, length));
        record.flip();
        while (record.hasRemaining()) {
            segmentBytes += segment.write(record);
        }
    }

    /** CRC-32C of a record's type and length and its payload (the CRC field itself left out). */
    private static int crc(byte[] bytes, int recordStart, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, recordStart, 5);
        crc.update(bytes, recordStart + RECORD_HEAD, length);
        return (int) crc.getValue();
    }

    private static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("[0-9]{16}")).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    private static long sequenceOf(Path segment) {
        return Long.parseLong(segment.getFileName().toString());
    }
}
