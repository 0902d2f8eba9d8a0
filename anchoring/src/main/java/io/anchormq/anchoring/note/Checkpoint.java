package io.anchormq.anchoring.note;

import io.anchormq.anchoring.merkle.Sha256Hash;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * The note text of a C2SP tlog-checkpoint: origin, tree size (decimal), root hash (base64), then optional extension
 * lines, each line ending in a newline.
 */
public record Checkpoint(String origin, long size, Sha256Hash rootHash, List<String> extensions) {

    public Checkpoint {
        checkLine(origin, "origin");
        if (origin.isEmpty()) {
            throw new IllegalArgumentException("checkpoint origin is empty");
        }
        if (size < 0) {
            throw new IllegalArgumentException("checkpoint tree size " + size + " is negative");
        }
        Objects.requireNonNull(rootHash, "rootHash");
        extensions = List.copyOf(extensions);
        for (String extension : extensions) {
            checkLine(extension, "extension line");
            if (extension.isEmpty()) {
                throw new IllegalArgumentException("checkpoint extension lines must not be empty");
            }
        }
    }

    /** A checkpoint of a root given as bytes (copied). */
    public Checkpoint(String origin, long size, byte[] root, List<String> extensions) {
        this(origin, size, Sha256Hash.of(root, "checkpoint root"), extensions);
    }

    /** A checkpoint without extension lines (all we write). */
    public Checkpoint(String origin, long size, byte[] root) {
        this(origin, size, root, List.of());
    }

    /** The root hash as bytes, the form the proof verifier takes; a copy. */
    public byte[] root() {
        return rootHash.bytes();
    }

    /** Parses checkpoint note text strictly; {@link IllegalArgumentException} names the line that is wrong. */
    public static Checkpoint parse(String text) {
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("checkpoint text does not end with a newline");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 3) {
            throw new IllegalArgumentException("checkpoint text has " + lines.length
                    + " lines; it needs origin, tree size and root hash");
        }
        if (lines[0].isEmpty()) {
            throw new IllegalArgumentException("checkpoint line 1 (origin) is empty");
        }
        long size = CanonicalEncoding.parseDecimal(lines[1], "checkpoint line 2 (tree size)");
        byte[] root = CanonicalEncoding.decodeHash(lines[2], "checkpoint line 3 (root hash)");
        for (int i = 3; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                throw new IllegalArgumentException("checkpoint line " + (i + 1) + " (an extension line) is empty");
            }
        }
        return new Checkpoint(lines[0], size, root, Arrays.asList(lines).subList(3, lines.length));
    }

    /** The note text. */
    public String format() {
        StringBuilder out = new StringBuilder()
                .append(origin).append('\n')
                .append(size).append('\n')
                .append(Base64.getEncoder().encodeToString(rootHash.bytes())).append('\n');
        extensions.forEach(e -> out.append(e).append('\n'));
        return out.toString();
    }

    private static void checkLine(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("checkpoint " + what + " contains a newline");
        }
    }
}
