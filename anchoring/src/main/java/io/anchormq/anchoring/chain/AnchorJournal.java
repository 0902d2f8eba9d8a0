package io.anchormq.anchoring.chain;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, fsynced journal {@code anchors.jsonl}: one JSON {@link JournalEntry} per line. An entry is on disk
 * when {@link #append} returns. A crash can only tear the last line, which was then never acknowledged (so its
 * transaction was never broadcast): it is cut off on open. Any other unreadable line is an error naming the line.
 * The file is locked while open, so two anchorers can never share one journal (and one nonce sequence).
 */
final class AnchorJournal implements Closeable {

    static final String FILE_NAME = "anchors.jsonl";

    private static final Logger log = LoggerFactory.getLogger(AnchorJournal.class);
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ObjectReader READER = MAPPER.readerFor(JournalEntry.class);
    private static final ObjectWriter WRITER = MAPPER.writerFor(JournalEntry.class);

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final List<JournalEntry> loaded;
    /** Why appends are refused (a failed write that could not be undone), or null. */
    private String broken;

    private AnchorJournal(Path file, FileChannel channel, FileLock lock, List<JournalEntry> loaded) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.loaded = loaded;
    }

    /** Opens (creating if needed) the journal in {@code directory}, locks it and reads it. */
    static AnchorJournal open(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path file = directory.resolve(FILE_NAME);
        boolean created = !Files.exists(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            FileLock lock = lockOrFail(channel, file);
            if (created) {
                syncDirectory(directory); // the new file's name must survive a crash too
            }
            cutTornTail(channel, file);
            List<JournalEntry> entries = read(channel, file);
            channel.position(channel.size());
            return new AnchorJournal(file, channel, lock, entries);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The entries found on open, in file order. */
    List<JournalEntry> loaded() {
        return List.copyOf(loaded);
    }

    Path file() {
        return file;
    }

    /**
     * Appends one entry and forces it to disk before returning. When that fails, the file is cut back to where it
     * was (the entry is not in the journal, so the caller must not act on it); when even that fails, the journal
     * refuses further appends, and reopening it repairs the tail.
     */
    void append(JournalEntry entry) throws IOException {
        if (broken != null) {
            throw new IOException(file + " unusable until reopened: " + broken);
        }
        byte[] line = (WRITER.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8);
        long before = channel.position();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false); // fdatasync: also persists the grown file length, which the data needs
        } catch (IOException e) {
            try {
                channel.truncate(before);
                channel.position(before);
                channel.force(false);
            } catch (IOException | RuntimeException again) {
                broken = e.toString();
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }

    private static FileLock lockOrFail(FileChannel channel, Path file) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new IOException(file + " is locked by another anchorer: one journal (and one sender key) per "
                    + "anchorer");
        }
        return lock;
    }

    private static void cutTornTail(FileChannel channel, Path file) throws IOException {
        long size = channel.size();
        long keep = size;
        ByteBuffer one = ByteBuffer.allocate(1);
        while (keep > 0) {
            one.clear();
            channel.read(one, keep - 1);
            if (one.get(0) == '\n') {
                break;
            }
            keep--;
        }
        if (keep < size) {
            log.warn("{}: cutting {} bytes of an incomplete last line (a write cut short by a crash; never "
                    + "acknowledged, so never broadcast)", file, size - keep);
            channel.truncate(keep);
            channel.force(false);
        }
    }

    private static List<JournalEntry> read(FileChannel channel, Path file) throws IOException {
        List<JournalEntry> entries = new ArrayList<>();
        channel.position(0);
        // not closed: closing the reader would close the channel that stays open for appends
        BufferedReader reader = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while (true) {
            try {
                line = reader.readLine();
            } catch (CharacterCodingException e) {
                throw new IOException(file + " line " + (number + 1) + ": not UTF-8", e);
            }
            if (line == null) {
                break;
            }
            number++;
            if (line.isBlank()) {
                throw new IOException(file + " line " + number + ": empty line");
            }
            try {
                entries.add(READER.readValue(line));
            } catch (JsonProcessingException e) {
                throw new IOException(file + " line " + number + ": " + e.getOriginalMessage(), e);
            }
        }
        return entries;
    }

    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
