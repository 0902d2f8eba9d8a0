package io.anchormq.anchoring.tiles;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One resource of the C2SP tlog-tiles layout: a hash tile of {@code level} (or, with {@link #ENTRIES}, an entry
 * bundle), tile index {@code index} within its level, holding {@code width} hashes or entries (256 for a full tile,
 * 1..255 for a partial one).
 */
record TileId(int level, long index, int width) {

    /** The pseudo-level of entry bundles: they share the indexing of level 0 tiles. */
    static final int ENTRIES = -1;
    static final int WIDTH = 256;
    /** Log2 of {@link #WIDTH}: a tile of level L holds hashes of tree level {@code L·TILE_HEIGHT}. */
    static final int TILE_HEIGHT = 8;
    /**
     * Tree sizes are longs, so a level 7 tile (of tree level 56) is the highest that can have a hash: spans of
     * level 8 would exceed 2^63. Capping here keeps every shift below 64.
     */
    static final int MAX_LEVEL = 7;
    /** A path below {@code tile/}: level, the index's 3-digit elements, the width of a partial tile. */
    private static final Pattern PATH = Pattern.compile(
            "(entries|[0-9])/((?:x[0-9]{3}/)*[0-9]{3})(?:\\.p/([1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?");

    TileId {
        if (level < ENTRIES || level > MAX_LEVEL) {
            throw new IllegalArgumentException("tile level " + level + " outside " + ENTRIES + ".." + MAX_LEVEL);
        }
        if (index < 0) {
            throw new IllegalArgumentException("negative tile index " + index);
        }
        if (width < 1 || width > WIDTH) {
            throw new IllegalArgumentException("tile width " + width + " outside 1.." + WIDTH);
        }
    }

    boolean isFull() {
        return width == WIDTH;
    }

    boolean isEntries() {
        return level == ENTRIES;
    }

    /** The same position as a full tile. */
    TileId full() {
        return new TileId(level, index, WIDTH);
    }

    /** Tree level of the hashes in this tile (0 for bundles, whose entries hash to level 0 leaves). */
    int treeLevel() {
        return isEntries() ? 0 : level * TILE_HEIGHT;
    }

    /** Index, within {@link #treeLevel()}, of the first hash (or entry) of this tile. */
    long firstHashIndex() {
        return index * WIDTH;
    }

    /**
     * The tree size needed before every hash of this tile exists: its end index in leaves. Saturates at
     * {@code Long.MAX_VALUE} for tiles (found on disk) beyond any possible tree.
     */
    long coveredTreeSize() {
        if (index > (Long.MAX_VALUE - width) / WIDTH) {
            return Long.MAX_VALUE;
        }
        long hashes = index * WIDTH + width;
        return hashes > Long.MAX_VALUE >>> treeLevel() ? Long.MAX_VALUE : hashes << treeLevel();
    }

    /**
     * The path of this resource relative to the log directory, e.g. {@code tile/0/x001/x234/067.p/12}:
     * the index in 3-digit path elements, all but the last prefixed with {@code x}.
     */
    String path() {
        StringBuilder n = new StringBuilder(String.format("%03d", index % 1000));
        for (long rest = index / 1000; rest > 0; rest /= 1000) {
            n.insert(0, String.format("x%03d/", rest % 1000));
        }
        String dir = isEntries() ? "tile/entries/" : "tile/" + level + "/";
        return dir + n + (isFull() ? "" : ".p/" + width);
    }

    /**
     * The tile of a path relative to {@code tile/}, as {@link #path()} writes it (e.g. {@code 0/x001/234.p/5}), or
     * null if it is not one.
     */
    static TileId parse(String relative) {
        Matcher m = PATH.matcher(relative);
        if (!m.matches()) {
            return null;
        }
        int level = m.group(1).equals("entries") ? ENTRIES : Integer.parseInt(m.group(1));
        String digits = m.group(2).replace("x", "").replace("/", "");
        if (level > MAX_LEVEL || digits.length() > 18) {
            return null;
        }
        int width = m.group(3) == null ? WIDTH : Integer.parseInt(m.group(3));
        TileId tile = new TileId(level, Long.parseLong(digits), width);
        return tile.path().equals("tile/" + relative) ? tile : null; // canonical only: no leading zero groups
    }

    @Override
    public String toString() {
        return path();
    }

    /** The number of hashes at tile level {@code level} that exist in a tree of {@code treeSize} leaves. */
    static long hashCount(int level, long treeSize) {
        return treeSize >>> (Math.max(level, 0) * TILE_HEIGHT);
    }

    /** The number of full tiles of {@code level} in a tree of {@code treeSize} leaves. */
    static long fullTileCount(int level, long treeSize) {
        return hashCount(level, treeSize) / WIDTH;
    }

    /** The partial tile of {@code level} that a tree of {@code treeSize} leaves needs, or null if it needs none. */
    static TileId partialTile(int level, long treeSize) {
        int width = (int) (hashCount(level, treeSize) % WIDTH);
        return width == 0 ? null : new TileId(level, fullTileCount(level, treeSize), width);
    }
}
