package io.anchormq.anchoring.note;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * The note text of a C2SP tlog-checkpoint: origin, tree size (decimal), root hash (base64), then optional extension
 * lines, each line ending in a newline. The root array is copied in and out.
 */
public record Checkpoint(String origin, long size, byte[] root, List<String> extensions) {

    private static final int HASH_SIZE = 32;

    public Checkpoint {
        checkLine(origin, "origin");
        if (origin.isEmpty()) {
            throw new IllegalArgumentException("checkpoint origin is empty");
        }
        if (size < 0) {
            throw new IllegalArgumentException("checkpoint tree size " + size + " is negative");
        }
        if (root.length != HASH_SIZE) {
            throw new IllegalArgumentException("checkpoint root has " + root.length + " bytes, not " + HASH_SIZE);
        }
        root = root.clone();
        extensions = List.copyOf(extensions);
        for (String extension : extensions) {
            checkLine(extension, "extension line");
            if (extension.isEmpty()) {
                throw new IllegalArgumentException("checkpoint extension lines must not be empty");
            }
        }
    }

    /** A checkpoint without extension lines (all we write). */
    public Checkpoint(String origin, long size, byte[] root) {
        this(origin, size, root, List.of());
    }

    @Override
    public byte[] root() {
        return root.clone();
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
                .append(Base64.getEncoder().encodeToString(root)).append('\n');
        extensions.forEach(e -> out.append(e).append('\n'));
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && origin.equals(c.origin) && size == c.size
                && Arrays.equals(root, c.root) && extensions.equals(c.extensions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(origin, size, Arrays.hashCode(root), extensions);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + origin + ", size " + size + ", root " + Base64.getEncoder().encodeToString(root)
                + (extensions.isEmpty() ? "" : ", extensions " + extensions) + "]";
    }

    private static void checkLine(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("checkpoint " + what + " contains a newline");
        }
    }
}
