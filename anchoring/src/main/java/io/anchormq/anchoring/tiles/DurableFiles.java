package io.anchormq.anchoring.tiles;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes files so that each appears atomically and a whole set is durable when {@link #write} returns. Each file is
 * written in a private staging directory on the same file system, forced to disk, and renamed over its target; then
 * every directory that gained an entry (the target's, and the parent of each new directory) is forced. After a
 * kill -9 or a power loss every target is therefore either its old version (or absent) or complete: never empty or
 * torn, which a plain write in place could leave behind.
 *
 * <p>The files of a set are written and forced concurrently: a force is a wait for the device, and the file system
 * lets concurrent ones share a journal commit. Measured here with 36 files of 8 KiB per set: 10–22 ms one after the
 * other, 5 ms with 4 threads, no better with 8.
 */
final class DurableFiles {

    /** A file to write: its final path and complete content. */
    record Pending(Path target, byte[] content) {
    }

    /** Shared by all logs: the limit is the device, not the number of logs. Daemon threads, idle when unused. */
    private static final ExecutorService WRITERS = Executors.newFixedThreadPool(4, new ThreadFactory() {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, "tile-writer-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    });

    private final Path staging;
    /** Directories known to exist, so a set does not stat its whole path for every file. */
    private final Set<Path> knownDirectories = new HashSet<>();
    private long stagedFiles;

    /** {@code staging} must be on the same file system as every target and hold nothing anyone needs. */
    DurableFiles(Path staging) throws IOException {
        this.staging = Files.createDirectories(staging);
        try (var leftovers = Files.newDirectoryStream(staging)) {
            for (Path leftover : leftovers) {
                Files.delete(leftover); // a write interrupted by a crash; its target was never renamed over
            }
        }
    }

    /** Not thread-safe: one caller at a time (the store's writer). */
    void write(List<Pending> files) throws IOException {
        Set<Path> directoriesToForce = new LinkedHashSet<>();
        for (Pending file : files) {
            createDirectories(file.target().getParent(), directoriesToForce);
        }
        List<Future<?>> writes = new ArrayList<>(files.size());
        for (Pending file : files) {
            Path staged = staging.resolve(Long.toString(stagedFiles++));
            writes.add(WRITERS.submit(() -> writeDurably(staged, file)));
            directoriesToForce.add(file.target().getParent());
        }
        awaitAll(writes);
        List<Future<?>> forces = new ArrayList<>(directoriesToForce.size());
        for (Path directory : directoriesToForce) {
            forces.add(WRITERS.submit(() -> forceDirectory(directory)));
        }
        awaitAll(forces);
    }

    void write(Path target, byte[] content) throws IOException {
        write(List.of(new Pending(target, content)));
    }

    /** Forgets cached knowledge of a directory that was (or may have been) deleted. */
    void forgetDirectory(Path directory) {
        knownDirectories.removeIf(known -> known.startsWith(directory));
    }

    /**
     * Writes each file atomically (staged, then renamed over its target) on the calling thread, forcing nothing:
     * for files a {@link Journal} can restore. Directories created for them are added to {@code newEntries} (their
     * parents gained an entry), as is each target's directory.
     */
    void writeUnforced(List<Pending> files, Set<Path> newEntries) throws IOException {
        for (Pending file : files) {
            createDirectories(file.target().getParent(), newEntries);
            writeStaged(staging.resolve(Long.toString(stagedFiles++)), file, false);
            newEntries.add(file.target().getParent());
        }
    }

    /**
     * Forces files already written, concurrently, and then the directories: a {@link #writeUnforced} set made
     * durable. A file deleted meanwhile is skipped (only superseded partial tiles are deleted).
     */
    static void force(Collection<Path> files, Collection<Path> directories) throws IOException {
        List<Future<?>> forces = new ArrayList<>(files.size());
        for (Path file : files) {
            forces.add(WRITERS.submit(() -> forceIfPresent(file)));
        }
        awaitAll(forces);
        forces.clear();
        for (Path directory : directories) {
            forces.add(WRITERS.submit(() -> forceIfPresent(directory)));
        }
        awaitAll(forces);
    }

    private static Void forceIfPresent(Path path) throws IOException {
        try {
            return forceDirectory(path); // opens it for reading and forces it: for a file just the same
        } catch (NoSuchFileException e) {
            return null; // deleted after it was written: nothing to make durable
        }
    }

    private static Void writeDurably(Path staged, Pending file) throws IOException {
        writeStaged(staged, file, true);
        return null;
    }

    private static void writeStaged(Path staged, Pending file, boolean force) throws IOException {
        try (FileChannel channel = FileChannel.open(staged, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer content = ByteBuffer.wrap(file.content());
            while (content.hasRemaining()) {
                channel.write(content);
            }
            if (force) {
                channel.force(false); // fdatasync: the data and the size, before the rename can become durable
            }
        }
        Files.move(staged, file.target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits for every task (none may still touch the files when this returns), then throws the first failure. */
    private static void awaitAll(List<Future<?>> tasks) throws IOException {
        IOException failure = null;
        boolean interrupted = false;
        for (Future<?> task : tasks) {
            while (true) {
                try {
                    task.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: returning early would leave writes running behind our back
                } catch (ExecutionException e) {
                    IOException cause = e.getCause() instanceof IOException io ? io
                            : e.getCause() instanceof UncheckedIOException u ? u.getCause()
                            : new IOException(e.getCause());
                    if (failure == null) {
                        failure = cause;
                    } else {
                        failure.addSuppressed(cause);
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            if (failure == null) {
                failure = new InterruptedIOException("interrupted while writing (the writes did complete)");
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void createDirectories(Path directory, Set<Path> directoriesToForce) throws IOException {
        if (knownDirectories.contains(directory)) {
            return;
        }
        if (!Files.isDirectory(directory)) {
            createDirectories(directory.getParent(), directoriesToForce);
            try {
                Files.createDirectory(directory);
                directoriesToForce.add(directory.getParent());
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(directory)) {
                    throw e;
                }
            }
        }
        knownDirectories.add(directory);
    }

    /** fsync of a directory makes the entries added to it (renames, new subdirectories) durable. */
    static Void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
        return null;
    }
}
