package io.anchormq.anchoring.tiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes files so that each appears atomically and a whole set is durable when {@link #write} returns. Each file is
 * written in a private staging directory on the same file system, forced to disk, and renamed over its target; then
 * every directory that gained an entry (the target's, and the parent of each new directory) is forced. After a
 * kill -9 or a power loss every target is therefore either its old version (or absent) or complete: never empty or
 * torn, which a plain write in place could leave behind.
 */
final class DurableFiles {

    /** A file to write: its final path and complete content. */
    record Pending(Path target, byte[] content) {
    }

    private final Path staging;
    /** Directories known to exist, so a batch does not stat its whole path for every file. */
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

    void write(List<Pending> files) throws IOException {
        Set<Path> directoriesToForce = new LinkedHashSet<>();
        for (Pending file : files) {
            createDirectories(file.target().getParent(), directoriesToForce);
        }
        for (Pending file : files) {
            Path staged = staging.resolve(Long.toString(stagedFiles++));
            try (FileChannel channel = FileChannel.open(staged, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ByteBuffer content = ByteBuffer.wrap(file.content());
                while (content.hasRemaining()) {
                    channel.write(content);
                }
                channel.force(false); // fdatasync: the data and the size, before the rename can become durable
            }
            Files.move(staged, file.target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            directoriesToForce.add(file.target().getParent());
        }
        for (Path directory : directoriesToForce) {
            forceDirectory(directory);
        }
    }

    void write(Path target, byte[] content) throws IOException {
        write(List.of(new Pending(target, content)));
    }

    /** Forgets cached knowledge of a directory that was (or may have been) deleted. */
    void forgetDirectory(Path directory) {
        knownDirectories.removeIf(known -> known.startsWith(directory));
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
    static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
