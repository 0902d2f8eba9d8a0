package io.anchormq.anchoring.tiles;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The entry bundle format of tlog-tiles: a sequence of big-endian uint16 length-prefixed entries. */
final class EntryBundle {

    static final int MAX_ENTRY_SIZE = 0xFFFF;

    private EntryBundle() {
    }

    /** Appends the encodings of {@code entries} to {@code prefix} (an encoded bundle, possibly empty). */
    static byte[] encode(byte[] prefix, List<byte[]> entries) {
        int size = prefix.length;
        for (byte[] entry : entries) {
            size += 2 + entry.length;
        }
        byte[] bundle = Arrays.copyOf(prefix, size);
        int pos = prefix.length;
        for (byte[] entry : entries) {
            bundle[pos] = (byte) (entry.length >>> 8);
            bundle[pos + 1] = (byte) entry.length;
            System.arraycopy(entry, 0, bundle, pos + 2, entry.length);
            pos += 2 + entry.length;
        }
        return bundle;
    }

    static byte[] encode(List<byte[]> entries) {
        return encode(new byte[0], entries);
    }

    /** The first {@code count} entries of a bundle: a bundle of an earlier tree. */
    static byte[] prefix(byte[] bundle, int count, String name) throws CorruptLogException {
        if (count == 0) {
            return new byte[0];
        }
        entryAt(bundle, count - 1, name); // checks that the bundle holds that many, so the walk stays inside it
        int end = 0;
        for (int i = 0; i < count; i++) {
            end += 2 + ((bundle[end] & 0xFF) << 8 | bundle[end + 1] & 0xFF);
        }
        return Arrays.copyOf(bundle, end);
    }

    /** Entry {@code position} of a bundle, walking the length prefixes before it (no copy of the others). */
    static byte[] entryAt(byte[] bundle, int position, String name) throws CorruptLogException {
        int pos = 0;
        for (int i = 0; ; i++) {
            if (bundle.length - pos < 2) {
                throw new CorruptLogException(name + ": ends before entry " + position + " (at entry " + i + ")");
            }
            int length = (bundle[pos] & 0xFF) << 8 | bundle[pos + 1] & 0xFF;
            pos += 2;
            if (bundle.length - pos < length) {
                throw new CorruptLogException(name + ": truncated inside entry " + i + ", which declares " + length
                        + " bytes but only " + (bundle.length - pos) + " follow");
            }
            if (i == position) {
                return Arrays.copyOfRange(bundle, pos, pos + length);
            }
            pos += length;
        }
    }

    /**
     * Splits a bundle into exactly {@code expected} entries. Strict: a bundle that ends inside an entry, holds more
     * or fewer entries, or has trailing bytes is refused, naming {@code name} and the entry.
     */
    static List<byte[]> decode(byte[] bundle, int expected, String name) throws CorruptLogException {
        List<byte[]> entries = new ArrayList<>(expected);
        int pos = 0;
        while (pos < bundle.length) {
            if (entries.size() == expected) {
                throw new CorruptLogException(name + ": " + (bundle.length - pos) + " bytes after the " + expected
                        + " entries the bundle should hold");
            }
            if (bundle.length - pos < 2) {
                throw new CorruptLogException(name + ": truncated inside the length prefix of entry "
                        + entries.size() + " (one byte left at offset " + pos + ")");
            }
            int length = (bundle[pos] & 0xFF) << 8 | bundle[pos + 1] & 0xFF;
            pos += 2;
            if (bundle.length - pos < length) {
                throw new CorruptLogException(name + ": truncated inside entry " + entries.size() + ", which declares "
                        + length + " bytes at offset " + (pos - 2) + " but only " + (bundle.length - pos) + " follow");
            }
            byte[] entry = new byte[length];
            System.arraycopy(bundle, pos, entry, 0, length);
            entries.add(entry);
            pos += length;
        }
        if (entries.size() != expected) {
            throw new CorruptLogException(name + ": holds " + entries.size() + " entries, expected " + expected);
        }
        return entries;
    }
}
