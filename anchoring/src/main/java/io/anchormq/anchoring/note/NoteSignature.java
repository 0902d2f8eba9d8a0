package io.anchormq.anchoring.note;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * One signature line of a C2SP signed note: {@code — <key name> base64(key id ‖ signature)}. The pair (key name,
 * key id) names the key; {@code signature} is what follows the key id.
 */
public record NoteSignature(String keyName, int keyId, byte[] signature) {

    static final String LINE_PREFIX = "\u2014 ";

    public NoteSignature {
        checkKeyName(keyName);
        if (signature.length == 0) {
            throw new IllegalArgumentException("signature by " + keyName + " is empty");
        }
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * The key id of C2SP signed-note: the first four bytes (big-endian) of SHA-256(key name ‖ 0x0A ‖ type byte ‖
     * key material); {@code typeAndKey} is the type byte followed by the key (or by a longer type identifier).
     */
    public static int keyId(String keyName, byte[] typeAndKey) {
        byte[] name = keyName.getBytes(StandardCharsets.UTF_8);
        byte[] hash = Rfc9162.sha256(ByteBuffer.allocate(name.length + 1 + typeAndKey.length)
                .put(name).put((byte) '\n').put(typeAndKey).array());
        return ByteBuffer.wrap(hash).getInt();
    }

    /** {@code name+hex8}: how Go's note package and our messages name a key. */
    public String keyLabel() {
        return keyLabel(keyName, keyId);
    }

    /** The line, with its newline. */
    public String format() {
        byte[] idAndSignature = ByteBuffer.allocate(4 + signature.length).putInt(keyId).put(signature).array();
        return LINE_PREFIX + keyName + ' ' + Base64.getEncoder().encodeToString(idAndSignature) + '\n';
    }

    /** Parses one line without its newline. */
    static NoteSignature parseLine(String line, int lineNumber) {
        String where = "signature line " + lineNumber;
        if (!line.startsWith(LINE_PREFIX)) {
            throw new IllegalArgumentException(where + " does not start with an em dash (U+2014) and a space: "
                    + CanonicalEncoding.quote(line));
        }
        String rest = line.substring(LINE_PREFIX.length());
        int space = rest.indexOf(' ');
        if (space < 0) {
            throw new IllegalArgumentException(where + " has no space between key name and signature");
        }
        String name = rest.substring(0, space);
        try {
            checkKeyName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        byte[] decoded = CanonicalEncoding.decodeBase64(rest.substring(space + 1), where + " signature");
        if (decoded.length < 5) {
            throw new IllegalArgumentException(where + " signature has " + decoded.length
                    + " bytes; a key id (4 bytes) and a signature must follow the name");
        }
        return new NoteSignature(name, ByteBuffer.wrap(decoded).getInt(), Arrays.copyOfRange(decoded, 4,
                decoded.length));
    }

    static String keyLabel(String keyName, int keyId) {
        return keyName + '+' + String.format("%08x", keyId);
    }

    /** Key names are non-empty, without Unicode spaces, plus signs or control characters (C2SP signed-note). */
    static void checkKeyName(String name) {
        Objects.requireNonNull(name, "key name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("key name is empty");
        }
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            boolean surrogate = c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE;
            if (c == '+' || Character.isSpaceChar(c) || Character.isISOControl(c) || surrogate) {
                throw new IllegalArgumentException(String.format("key name %s contains U+%04X; key names have no"
                        + " spaces, plus signs or control characters", CanonicalEncoding.quote(name), c));
            }
            i += Character.charCount(c);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoteSignature s && keyName.equals(s.keyName) && keyId == s.keyId
                && Arrays.equals(signature, s.signature);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(keyName, keyId) + Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return format().strip();
    }
}
