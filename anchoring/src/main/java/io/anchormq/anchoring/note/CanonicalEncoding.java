package io.anchormq.anchoring.note;

import java.util.Base64;

/**
 * The field encodings of the C2SP text formats, parsed so that every value has exactly one accepted spelling:
 * standard padded base64 (RFC 4648 §4) that re-encodes to the same text, and ASCII decimals without leading zeros.
 * A second spelling would let two different files carry the same signed values. Failures are
 * {@link IllegalArgumentException}s that name the field.
 */
public final class CanonicalEncoding {

    private static final int HASH_SIZE = 32;

    private CanonicalEncoding() {
    }

    /** Decodes canonical standard base64. */
    public static byte[] decodeBase64(String text, String field) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is not base64: " + quote(text), e);
        }
        if (!Base64.getEncoder().encodeToString(bytes).equals(text)) {
            throw new IllegalArgumentException(field + " is not canonical padded base64: " + quote(text));
        }
        return bytes;
    }

    /** Decodes the canonical base64 of a 32-byte hash. */
    public static byte[] decodeHash(String text, String field) {
        byte[] hash = decodeBase64(text, field);
        if (hash.length != HASH_SIZE) {
            throw new IllegalArgumentException(field + " has " + hash.length + " bytes, not " + HASH_SIZE);
        }
        return hash;
    }

    /** Parses a non-negative ASCII decimal without leading zeros ("0" itself is fine) that fits a long. */
    public static long parseDecimal(String text, String field) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException(field + " is empty");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException(field + " is not a decimal number: " + quote(text));
            }
        }
        if (text.length() > 1 && text.charAt(0) == '0') {
            throw new IllegalArgumentException(field + " has a leading zero: " + quote(text));
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + " " + quote(text) + " is larger than " + Long.MAX_VALUE, e);
        }
    }

    /** A value quoted for an error message, shortened: it may be a whole hostile line. */
    public static String quote(String text) {
        String shown = text.length() > 80 ? text.substring(0, 80) + "…" : text;
        return '"' + shown + '"';
    }
}
