package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.merkle.Sha256Hash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Test fixtures: deterministic entries (so a checker can regenerate what a crashed process wrote), an unsigned
 * checkpoint body standing in for the signed note (the storage is free of signature logic), and an independent
 * reference RFC 9162 tree (recursive MTH over leaf hashes).
 */
final class TestLog {

    static final String ORIGIN = "test.anchormq/log/tiles";

    private TestLog() {
    }

    /** Entry i: 1..300 bytes depending on i, starting with its index, so misplaced entries are told apart. */
    static byte[] entry(long i) {
        byte[] entry = new byte[1 + (int) (i * 37 % 300)];
        byte[] label = ("entry " + i + ";").getBytes(StandardCharsets.US_ASCII);
        for (int k = 0; k < entry.length; k++) {
            entry[k] = label[k % label.length];
        }
        return entry;
    }

    static List<byte[]> entries(long from, long to) {
        List<byte[]> entries = new ArrayList<>();
        for (long i = from; i < to; i++) {
            entries.add(entry(i));
        }
        return entries;
    }

    static List<byte[]> leafHashes(long size) {
        List<byte[]> hashes = new ArrayList<>();
        for (long i = 0; i < size; i++) {
            hashes.add(Rfc9162.leafHash(entry(i)));
        }
        return hashes;
    }

    /** The tlog-checkpoint body (origin, size, base64 root): what the real caller signs. */
    static String checkpoint(long size, byte[] root) {
        return ORIGIN + "\n" + size + "\n" + Base64.getEncoder().encodeToString(root) + "\n";
    }

    static TreeHead readCheckpoint(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length != 4 || !lines[0].equals(ORIGIN) || !lines[3].isEmpty()) {
            throw new IllegalArgumentException("not a test checkpoint: " + text);
        }
        return new TreeHead(Long.parseLong(lines[1]), Sha256Hash.of(Base64.getDecoder().decode(lines[2]), "root hash"));
    }

    /** MTH(D[from:to]) over leaf hashes, straight from RFC 9162 §2.1.1. */
    static byte[] mth(List<byte[]> leafHashes, long from, long to) {
        long n = to - from;
        if (n == 0) {
            return Rfc9162.emptyRoot();
        }
        if (n == 1) {
            return leafHashes.get((int) from);
        }
        long k = Long.highestOneBit(n - 1); // the largest power of two smaller than n
        return Rfc9162.nodeHash(mth(leafHashes, from, from + k), mth(leafHashes, from + k, to));
    }

    static byte[] root(List<byte[]> leafHashes, long size) {
        return mth(leafHashes, 0, size);
    }
}
