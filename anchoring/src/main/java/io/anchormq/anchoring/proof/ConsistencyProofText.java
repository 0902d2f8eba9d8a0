package io.anchormq.anchoring.proof;

import io.anchormq.anchoring.note.CanonicalEncoding;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The text form of a consistency proof between two checkpoints: one base64 hash per line, each line ending in a
 * newline, in RFC 9162 §2.1.4.1 order; the empty proof is the empty text. The sizes come from the checkpoints.
 */
public final class ConsistencyProofText {

    /** A proof between trees of at most 2^63 - 1 leaves has at most 64 hashes. */
    static final int MAX_HASHES = 64;

    private ConsistencyProofText() {
    }

    public static String format(List<byte[]> proof) {
        StringBuilder out = new StringBuilder();
        proof.forEach(h -> out.append(Base64.getEncoder().encodeToString(h)).append('\n'));
        return out.toString();
    }

    /** Parses the text; {@link IllegalArgumentException} names the line that is wrong. */
    public static List<byte[]> parse(byte[] text) {
        return parse(new String(text, StandardCharsets.US_ASCII));
    }

    public static List<byte[]> parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("consistency proof does not end with a newline");
        }
        List<byte[]> hashes = new ArrayList<>();
        int number = 0;
        for (int start = 0; start < text.length(); ) {
            int end = text.indexOf('\n', start);
            number++;
            if (number > MAX_HASHES) {
                throw new IllegalArgumentException("consistency proof has more than " + MAX_HASHES
                        + " lines; no pair of trees needs more");
            }
            try {
                hashes.add(CanonicalEncoding.decodeHash(text.substring(start, end), "hash"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("consistency proof line " + number + ": " + e.getMessage(), e);
            }
            start = end + 1;
        }
        return hashes;
    }
}
