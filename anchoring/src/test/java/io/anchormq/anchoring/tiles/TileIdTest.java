package io.anchormq.anchoring.tiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TileIdTest {

    @Test
    void indexIsWrittenInThreeDigitPathElementsWithXPrefixes() {
        assertEquals("tile/0/x001/x234/067", new TileId(0, 1234067, 256).path()); // the spec's example
        assertEquals("tile/0/000", new TileId(0, 0, 256).path());
        assertEquals("tile/0/999", new TileId(0, 999, 256).path());
        assertEquals("tile/0/x001/000", new TileId(0, 1000, 256).path());
        assertEquals("tile/0/x001/x000/000", new TileId(0, 1_000_000, 256).path());
        assertEquals("tile/3/x012/345.p/17", new TileId(3, 12345, 17).path());
        assertEquals("tile/entries/x001/x234/067", new TileId(TileId.ENTRIES, 1234067, 256).path());
        assertEquals("tile/entries/005.p/1", new TileId(TileId.ENTRIES, 5, 1).path());
    }

    @Test
    void widthsOutsideOneTo256AreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TileId(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TileId(0, 0, 257));
        assertThrows(IllegalArgumentException.class, () -> new TileId(8, 0, 1));
    }

    @Test
    void partialTilesFollowTheSpecFormula() {
        // floor(s / 256^l) mod 256 hashes, none when that is 0
        for (int level = -1; level <= TileId.MAX_LEVEL; level++) {
            assertNull(TileId.partialTile(level, 0));
        }
        assertEquals(new TileId(0, 0, 1), TileId.partialTile(0, 1));
        assertNull(TileId.partialTile(1, 1));
        assertEquals(new TileId(0, 0, 255), TileId.partialTile(0, 255));
        assertNull(TileId.partialTile(1, 255));

        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
        assertEquals(1, TileId.fullTileCount(0, 256));
        assertNull(TileId.partialTile(0, 256));
        assertEquals(new TileId(1, 0, 1), TileId.partialTile(1, 256));
        assertNull(TileId.partialTile(2, 256));

        assertEquals(new TileId(0, 1, 1), TileId.partialTile(0, 257));
        assertEquals(new TileId(1, 0, 1), TileId.partialTile(1, 257));

        assertEquals(256, TileId.fullTileCount(0, 65536));
        assertNull(TileId.partialTile(0, 65536));
        assertEquals(1, TileId.fullTileCount(1, 65536));
        assertNull(TileId.partialTile(1, 65536));
        assertEquals(new TileId(2, 0, 1), TileId.partialTile(2, 65536));

        // the spec's example: 273 full level 0 tiles, a level 0 partial of 112, one full level 1 tile, a level 1
        // partial of 17, a level 2 partial of 1
        assertEquals(273, TileId.fullTileCount(0, 70000));
        assertEquals(new TileId(0, 273, 112), TileId.partialTile(0, 70000));
        assertEquals(1, TileId.fullTileCount(1, 70000));
        assertEquals(new TileId(1, 1, 17), TileId.partialTile(1, 70000));
        assertEquals(0, TileId.fullTileCount(2, 70000));
        assertEquals(new TileId(2, 0, 1), TileId.partialTile(2, 70000));
        assertNull(TileId.partialTile(3, 70000));
        assertEquals(new TileId(TileId.ENTRIES, 273, 112), TileId.partialTile(TileId.ENTRIES, 70000));
    }

    @Test
    void coveredTreeSizeIsTheTilesEndIndex() {
        assertEquals(256, new TileId(0, 0, 256).coveredTreeSize());
        assertEquals(273 * 256 + 112, new TileId(0, 273, 112).coveredTreeSize());
        assertEquals(65536 + 17 * 256, new TileId(1, 1, 17).coveredTreeSize());
        assertEquals(65536, new TileId(2, 0, 1).coveredTreeSize());
        assertEquals(Long.MAX_VALUE, new TileId(7, 0, 256).coveredTreeSize()); // beyond any tree: saturates
    }
}
