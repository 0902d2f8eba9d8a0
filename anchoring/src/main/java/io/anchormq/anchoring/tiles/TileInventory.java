package io.anchormq.anchoring.tiles;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What is on disk under {@code tile/}: for each level (and the entry bundles), which positions have a full tile and
 * which partial widths. Recovery works from this listing rather than from the paths a size implies, because a torn
 * tail can leave files anywhere beyond the checkpoint (the files of a batch are written in no particular order).
 * Anything that is not a canonical tile path is refused: nothing else is ever written there. Cheap enough for
 * millions of tiles: one directory read per directory, a stat only for what must be a directory.
 */
final class TileInventory {

    private static final Pattern GROUP = Pattern.compile("x\\d{3}");
    private static final Pattern LAST = Pattern.compile("\\d{3}");
    private static final Pattern PARTIAL_DIR = Pattern.compile("\\d{3}\\.p");
    private static final Pattern WIDTH = Pattern.compile("[1-9]\\d{0,2}");
    /** At most 5 x-groups before the last element: 18 digits fit a long (and far exceed any real tile index). */
    private static final int MAX_GROUP_DIGITS = 15;

    /** The files at one tile position. */
    static final class Position {
        boolean full;
        final NavigableSet<Integer> partialWidths = new TreeSet<>();
    }

    /** Level (or {@link TileId#ENTRIES}) → tile index → files there. */
    private final Map<Integer, TreeMap<Long, Position>> levels = new TreeMap<>();
    /** Every directory below {@code tile/}, deepest first, so that empty ones can be pruned in order. */
    private final List<Path> directories = new ArrayList<>();

    private TileInventory() {
    }

    static TileInventory scan(Path logDir) throws IOException {
        TileInventory inventory = new TileInventory();
        Path tileDir = logDir.resolve("tile");
        if (!Files.exists(tileDir, LinkOption.NOFOLLOW_LINKS)) {
            return inventory;
        }
        requireDirectory(logDir, tileDir);
        try (DirectoryStream<Path> children = Files.newDirectoryStream(tileDir)) {
            for (Path child : children) {
                String name = child.getFileName().toString();
                int level = parseLevel(name);
                if (level == Integer.MIN_VALUE) {
                    throw unexpected(logDir, child);
                }
                requireDirectory(logDir, child);
                inventory.scanIndexDirectory(logDir, level, child, "");
                inventory.directories.add(child);
            }
        }
        return inventory;
    }

    Map<Long, Position> positions(int level) {
        return levels.getOrDefault(level, new TreeMap<>());
    }

    Iterable<Integer> levels() {
        return levels.keySet();
    }

    boolean isEmpty() {
        return levels.isEmpty();
    }

    List<Path> directoriesDeepestFirst() {
        return directories;
    }

    private void scanIndexDirectory(Path logDir, int level, Path dir, String prefix) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (GROUP.matcher(name).matches() && prefix.length() < MAX_GROUP_DIGITS) {
                    if (prefix.isEmpty() && name.equals("x000")) {
                        throw unexpected(logDir, child); // x000/067 would be a second path for tile 067
                    }
                    requireDirectory(logDir, child);
                    scanIndexDirectory(logDir, level, child, prefix + name.substring(1));
                    directories.add(child);
                } else if (LAST.matcher(name).matches()) {
                    // Not stat'ed (there are millions): a non-file here fails when it is read or deleted.
                    position(level, prefix + name).full = true;
                } else if (PARTIAL_DIR.matcher(name).matches()) {
                    requireDirectory(logDir, child);
                    Position position = position(level, prefix + name.substring(0, 3));
                    scanPartialDirectory(logDir, position, child);
                    directories.add(child);
                } else {
                    throw unexpected(logDir, child);
                }
            }
        }
    }

    private void scanPartialDirectory(Path logDir, Position position, Path dir) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (!WIDTH.matcher(name).matches() || Integer.parseInt(name) >= TileId.WIDTH) {
                    throw unexpected(logDir, child);
                }
                position.partialWidths.add(Integer.parseInt(name));
            }
        }
    }

    /** The position of tile {@code digits} (the concatenated 3-digit groups of its path). */
    private Position position(int level, String digits) {
        long index = Long.parseLong(digits); // at most 18 digits: the group depth is capped in scan
        return levels.computeIfAbsent(level, l -> new TreeMap<>()).computeIfAbsent(index, i -> new Position());
    }

    /** "entries" or a level 0..7 without leading zeros; MIN_VALUE for anything else. */
    private static int parseLevel(String name) {
        if (name.equals("entries")) {
            return TileId.ENTRIES;
        }
        if (name.length() == 1 && name.charAt(0) >= '0' && name.charAt(0) - '0' <= TileId.MAX_LEVEL) {
            return name.charAt(0) - '0';
        }
        return Integer.MIN_VALUE;
    }

    private static void requireDirectory(Path logDir, Path path) throws CorruptLogException {
        if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new CorruptLogException(logDir.relativize(path) + ": expected a directory");
        }
    }

    private static CorruptLogException unexpected(Path logDir, Path path) {
        return new CorruptLogException(logDir.relativize(path)
                + ": not a tlog-tiles path this log writes; refusing to guess what it is (remove it if it is stray)");
    }
}
