package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a log directory to exactly the tree its checkpoint commits to, or refuses. Every hash is recomputed from the
 * level 0 tiles into the {@link HashIndex}; the higher tiles are compared with it; the entry bundles written since
 * the last verified size are hashed and compared with the level 0 tiles; the root must equal the checkpoint's. Only
 * then is anything changed on disk: the partial tiles the checkpoint's size needs are (re)written if a torn tail left
 * only a wider version, and every file beyond that size (a batch appended but never checkpointed, so never reported
 * as logged) or made obsolete by a full tile is deleted. Every step is idempotent, so a crash during recovery is
 * repaired by the next one.
 */
final class Recovery {

    private static final Logger log = LoggerFactory.getLogger(Recovery.class);
    private static final int HASH = Rfc9162.HASH_SIZE;

    private final Path logDir;
    private final TileInventory inventory;
    private final HashIndex index;
    private final long size;

    private Recovery(Path logDir, TileInventory inventory, HashIndex index, long size) {
        this.logDir = logDir;
        this.inventory = inventory;
        this.index = index;
        this.size = size;
    }

    /**
     * Verifies and repairs; afterwards the directory holds exactly the tiles and bundles of {@code head}'s tree (plus
     * narrower partial tiles of positions not yet full) and {@code index} holds all of its hashes.
     *
     * @param verifiedSize entry bundles below this size were verified by an earlier recovery and are only checked
     *                     to exist (hashing every entry on every start would cost as much as the log is large)
     */
    static void run(Path logDir, TreeHead head, long verifiedSize, HashIndex index, DurableFiles files)
            throws IOException {
        Recovery recovery = new Recovery(logDir, TileInventory.scan(logDir), index, head.size());
        recovery.requireTilesPresent();
        index.reserve(head.size());
        long repaired = recovery.rebuildIndex();
        recovery.checkUpperTiles();
        recovery.checkBundles(verifiedSize);
        byte[] root = index.root(head.size());
        if (!Arrays.equals(root, head.rootHash().bytes())) {
            throw new CorruptLogException("the tiles give the tree of size " + head.size() + " the root "
                    + base64(root) + ", but the checkpoint commits to " + head.rootHash());
        }
        if (repaired > 0) {
            log.info("{}: hash index rebuilt from the tiles ({} hashes differed)", logDir, repaired);
        }
        recovery.writeMissingPartials(files);
        recovery.deleteBeyondSize(files);
    }

    /** Every full tile below the size, and for each level some file holding the partial tile's hashes. */
    private void requireTilesPresent() throws CorruptLogException {
        for (int level = TileId.ENTRIES; level <= TileId.MAX_LEVEL; level++) {
            Map<Long, TileInventory.Position> positions = inventory.positions(level);
            long fullTiles = TileId.fullTileCount(level, size);
            for (long n = 0; n < fullTiles; n++) {
                TileInventory.Position position = positions.get(n);
                if (position == null || !position.full) {
                    throw missing(new TileId(level, n, TileId.WIDTH));
                }
            }
            tailSource(level);
        }
    }

    /**
     * The file to read the partial tile of {@code level} from: the exact partial tile, or (after a torn tail, or
     * when an obsolete partial was deleted) a wider partial or the full tile, whose prefix holds the same hashes.
     * Null if the size needs no partial tile at this level.
     */
    private TileId tailSource(int level) throws CorruptLogException {
        TileId needed = TileId.partialTile(level, size);
        if (needed == null) {
            return null;
        }
        TileInventory.Position position = inventory.positions(level).get(needed.index());
        if (position != null) {
            Integer width = position.partialWidths.ceiling(needed.width());
            if (width != null) {
                return new TileId(level, needed.index(), width);
            }
            if (position.full) {
                return needed.full();
            }
        }
        throw missing(needed);
    }

    /**
     * Recomputes every hash of the tree from the level 0 tiles. The full tiles go in parallel: each one's leaves and
     * the 8 levels of nodes above them depend on that tile only, and this is most of the work of opening a large log.
     * Returns how many stored hashes differed.
     */
    private long rebuildIndex() throws IOException {
        long fullTiles = TileId.fullTileCount(0, size);
        long repaired;
        try {
            repaired = LongStream.range(0, fullTiles).parallel().map(n -> {
                try {
                    TileId tile = new TileId(0, n, TileId.WIDTH);
                    return loadLeafHashes(tile, TileId.WIDTH) + index.extend(tile.firstHashIndex(),
                            tile.firstHashIndex() + TileId.WIDTH, 1, TileId.TILE_HEIGHT);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        long fullSize = fullTiles * TileId.WIDTH;
        repaired += index.extend(0, fullSize, TileId.TILE_HEIGHT + 1, HashIndex.LEVELS - 1);
        TileId tail = tailSource(0);
        if (tail != null) {
            repaired += loadLeafHashes(tail, TileId.partialTile(0, size).width());
        }
        return repaired + index.extend(fullSize, size);
    }

    private long loadLeafHashes(TileId tile, int count) throws IOException {
        byte[] hashes = readTile(tile);
        long repaired = 0;
        byte[] hash = new byte[HASH];
        for (int i = 0; i < count; i++) {
            System.arraycopy(hashes, i * HASH, hash, 0, HASH);
            if (index.put(0, tile.firstHashIndex() + i, hash)) {
                repaired++;
            }
        }
        return repaired;
    }

    /** Each hash of a level L ≥ 1 tile is the hash of a full tile of level L-1: compare with the recomputed one. */
    private void checkUpperTiles() throws IOException {
        for (int level = 1; level <= TileId.MAX_LEVEL && TileId.hashCount(level, size) > 0; level++) {
            long fullTiles = TileId.fullTileCount(level, size);
            for (long n = 0; n < fullTiles; n++) {
                checkUpperTile(new TileId(level, n, TileId.WIDTH));
            }
            TileId partial = TileId.partialTile(level, size);
            TileInventory.Position position = partial == null ? null : inventory.positions(level).get(partial.index());
            if (position != null && position.partialWidths.contains(partial.width())) {
                checkUpperTile(partial);
            } // else it is written from the index below, after the root has vouched for the index
        }
    }

    private void checkUpperTile(TileId tile) throws IOException {
        byte[] hashes = readTile(tile);
        for (int i = 0; i < tile.width(); i++) {
            long node = tile.firstHashIndex() + i;
            byte[] expected = index.get(tile.treeLevel(), node);
            if (!Arrays.equals(hashes, i * HASH, (i + 1) * HASH, expected, 0, HASH)) {
                TileId below = new TileId(tile.level() - 1, node, TileId.WIDTH);
                throw new CorruptLogException(tile + ": hash " + i + " is " + base64(hashes, i)
                        + ", but " + below + " hashes to " + base64(expected)
                        + " (one of the two files is corrupt)");
            }
        }
    }

    /** Hashes every entry in [verifiedSize, size) and compares it with its level 0 tile hash. */
    private void checkBundles(long verifiedSize) throws IOException {
        long fullBundles = TileId.fullTileCount(TileId.ENTRIES, size);
        for (long n = verifiedSize / TileId.WIDTH; n * TileId.WIDTH < size; n++) {
            TileId bundle = n < fullBundles ? new TileId(TileId.ENTRIES, n, TileId.WIDTH) : tailSource(TileId.ENTRIES);
            TileId leaves = n < fullBundles ? new TileId(0, n, TileId.WIDTH) : tailSource(0);
            List<byte[]> entries = EntryBundle.decode(read(bundle), bundle.width(), bundle.path());
            for (int i = 0; i < bundle.width(); i++) {
                long leaf = bundle.firstHashIndex() + i;
                if (leaf < verifiedSize || leaf >= size) {
                    continue;
                }
                byte[] leafHash = Rfc9162.leafHash(entries.get(i));
                byte[] stored = index.get(0, leaf);
                if (!Arrays.equals(leafHash, stored)) {
                    throw new CorruptLogException(bundle + ": entry " + i + " (log index " + leaf + ") hashes to "
                            + base64(leafHash) + ", but hash " + i + " of " + leaves + " is " + base64(stored)
                            + " (one of the two files is corrupt)");
                }
            }
        }
    }

    /** The partial tiles the size needs but only a wider version exists for (torn tail, or deleted as obsolete). */
    private void writeMissingPartials(DurableFiles files) throws IOException {
        List<DurableFiles.Pending> pending = new ArrayList<>();
        for (int level = TileId.ENTRIES; level <= TileId.MAX_LEVEL; level++) {
            TileId needed = TileId.partialTile(level, size);
            TileId source = tailSource(level);
            if (needed == null || source.equals(needed)) {
                continue;
            }
            byte[] content;
            if (needed.isEntries()) {
                List<byte[]> entries = EntryBundle.decode(read(source), source.width(), source.path());
                content = EntryBundle.encode(entries.subList(0, needed.width()));
            } else {
                content = new byte[needed.width() * HASH];
                for (int i = 0; i < needed.width(); i++) {
                    byte[] hash = index.get(needed.treeLevel(), needed.firstHashIndex() + i);
                    System.arraycopy(hash, 0, content, i * HASH, HASH);
                }
            }
            pending.add(new DurableFiles.Pending(logDir.resolve(needed.path()), content));
        }
        files.write(pending);
    }

    private void deleteBeyondSize(DurableFiles files) throws IOException {
        int beyond = 0;
        int obsolete = 0;
        for (int level : inventory.levels()) {
            for (Map.Entry<Long, TileInventory.Position> at : inventory.positions(level).entrySet()) {
                TileId full = new TileId(level, at.getKey(), TileId.WIDTH);
                boolean fullKept = at.getValue().full && full.coveredTreeSize() <= size;
                if (at.getValue().full && !fullKept) {
                    delete(full);
                    beyond++;
                }
                for (int width : at.getValue().partialWidths) {
                    TileId partial = new TileId(level, at.getKey(), width);
                    if (partial.coveredTreeSize() > size) {
                        delete(partial);
                        beyond++;
                    } else if (fullKept) {
                        delete(partial);
                        obsolete++;
                    }
                }
            }
        }
        for (Path directory : inventory.directoriesDeepestFirst()) {
            try {
                Files.deleteIfExists(directory);
                files.forgetDirectory(directory);
            } catch (DirectoryNotEmptyException e) {
                // still in use
            }
        }
        if (beyond > 0) {
            log.warn("{}: removed {} tiles and bundles beyond the checkpoint's tree size {} (appended but never "
                    + "checkpointed)", logDir, beyond, size);
        }
        if (obsolete > 0) {
            log.info("{}: removed {} partial tiles superseded by full tiles", logDir, obsolete);
        }
    }

    /** Deletions need no fsync: a file that reappears after a power loss is removed by the next recovery. */
    private void delete(TileId tile) throws IOException {
        try {
            Files.deleteIfExists(logDir.resolve(tile.path()));
        } catch (IOException e) {
            throw new CorruptLogException(tile + ": cannot delete it (" + e + ")", e);
        }
    }

    private byte[] readTile(TileId tile) throws IOException {
        byte[] bytes = read(tile);
        if (bytes.length != tile.width() * HASH) {
            throw new CorruptLogException(tile + ": " + bytes.length + " bytes, but a tile of " + tile.width()
                    + " hashes has " + tile.width() * HASH);
        }
        return bytes;
    }

    private byte[] read(TileId tile) throws IOException {
        try {
            return Files.readAllBytes(logDir.resolve(tile.path()));
        } catch (NoSuchFileException e) {
            throw missing(tile);
        } catch (IOException e) {
            throw new CorruptLogException(tile + ": unreadable (" + e + ")", e);
        }
    }

    private CorruptLogException missing(TileId tile) {
        return new CorruptLogException(tile + ": missing, but the checkpoint's tree of size " + size + " needs "
                + (tile.isFull() ? "it" : "it (or a wider version of it)"));
    }

    private static String base64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }

    private static String base64(byte[] hashes, int i) {
        return base64(Arrays.copyOfRange(hashes, i * HASH, (i + 1) * HASH));
    }
}
