package io.anchormq.anchoring.entry;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One message as the log records it: who sent what where and when, with the payload only as its SHA-256. The salt
 * keeps guessable payloads (a temperature, "on"/"off") from being confirmed from the log's hashes alone.
 *
 * <p>Canonical encoding v1, big-endian: {@code u8 version=1, u16 length ‖ workspace, u16 length ‖ client id,
 * u16 length ‖ topic (UTF-8), u8 qos, [32] payload SHA-256, i64 receive time (µs since the Unix epoch, UTC),
 * [16] salt, u64 sequence}, at most {@value #MAX_ENCODED_SIZE} bytes in all. The leaf hash is
 * {@code Rfc9162.leafHash(encode())}. Byte arrays are copied in and out.
 *
 * @param sequence the 0-based number of the entry in its workspace's log, which is its leaf index
 */
public record LogEntry(String workspace, String clientId, String topic, int qos, byte[] payloadSha256,
        long receivedAtMicros, byte[] salt, long sequence) {

    public static final int VERSION = 1;
    public static final int SALT_SIZE = 16;
    /** tlog-tiles entry bundles prefix each entry with a uint16 length. */
    public static final int MAX_ENCODED_SIZE = 0xFFFF;

    private static final int FIXED_SIZE = 1 + 3 * 2 + 1 + Rfc9162.HASH_SIZE + 8 + SALT_SIZE + 8;

    public LogEntry {
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(topic, "topic");
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos is " + qos + ", must be 0, 1 or 2");
        }
        if (payloadSha256.length != Rfc9162.HASH_SIZE) {
            throw new IllegalArgumentException(
                    "payload SHA-256 has " + payloadSha256.length + " bytes, not " + Rfc9162.HASH_SIZE);
        }
        if (salt.length != SALT_SIZE) {
            throw new IllegalArgumentException("salt has " + salt.length + " bytes, not " + SALT_SIZE);
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence number " + sequence + " is negative");
        }
        payloadSha256 = payloadSha256.clone();
        salt = salt.clone();
    }

    @Override
    public byte[] payloadSha256() {
        return payloadSha256.clone();
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    /**
     * The canonical v1 encoding; {@link IllegalArgumentException} when a text is not valid Unicode or the entry
     * exceeds {@value #MAX_ENCODED_SIZE} bytes.
     */
    public byte[] encode() {
        return encode(workspace, clientId, topic, qos, payloadSha256, receivedAtMicros, salt, 0, sequence);
    }

    /**
     * The canonical v1 encoding of an entry of these fields, without making the entry: the log's writer encodes
     * every message this way, with no copies of the arrays and no intermediate UTF-8 arrays for ASCII texts.
     * {@link IllegalArgumentException} as for {@link #encode()}; the arrays are read, not kept.
     *
     * @param salts holds the salt at {@code saltOffset} ({@value #SALT_SIZE} bytes)
     */
    public static byte[] encode(String workspace, String clientId, String topic, int qos, byte[] payloadSha256,
                                long receivedAtMicros, byte[] salts, int saltOffset, long sequence) {
        if (qos < 0 || qos > 2 || sequence < 0) {
            throw new IllegalArgumentException("qos " + qos + " or sequence number " + sequence + " out of range");
        }
        int ws = utf8Length("workspace", workspace);
        int client = utf8Length("client id", clientId);
        int tp = utf8Length("topic", topic);
        int size = FIXED_SIZE + ws + client + tp;
        if (size > MAX_ENCODED_SIZE) {
            throw new IllegalArgumentException("entry would be " + size + " bytes, over the limit of "
                    + MAX_ENCODED_SIZE + " (workspace " + ws + ", client id " + client + ", topic " + tp + " bytes)");
        }
        byte[] out = new byte[size];
        out[0] = (byte) VERSION;
        int at = putText(out, 1, workspace, ws);
        at = putText(out, at, clientId, client);
        at = putText(out, at, topic, tp);
        out[at++] = (byte) qos;
        System.arraycopy(payloadSha256, 0, out, at, Rfc9162.HASH_SIZE);
        at += Rfc9162.HASH_SIZE;
        at = putLong(out, at, receivedAtMicros);
        System.arraycopy(salts, saltOffset, out, at, SALT_SIZE);
        putLong(out, at + SALT_SIZE, sequence);
        return out;
    }

    /** Writes u16 length ‖ UTF-8 of {@code text}, {@code utf8Length} bytes long; returns the position after it. */
    private static int putText(byte[] out, int at, String text, int utf8Length) {
        out[at] = (byte) (utf8Length >>> 8);
        out[at + 1] = (byte) utf8Length;
        if (utf8Length == text.length()) { // ASCII: a byte per char
            for (int i = 0; i < utf8Length; i++) {
                out[at + 2 + i] = (byte) text.charAt(i);
            }
        } else {
            System.arraycopy(text.getBytes(StandardCharsets.UTF_8), 0, out, at + 2, utf8Length);
        }
        return at + 2 + utf8Length;
    }

    private static int putLong(byte[] out, int at, long value) {
        for (int i = 7; i >= 0; i--) {
            out[at + i] = (byte) value;
            value >>>= 8;
        }
        return at + 8;
    }

    /**
     * Whether an entry of these texts can be encoded, without encoding it: {@link IllegalArgumentException}, as
     * {@link #encode} would throw it, when a text is not valid Unicode or the entry would exceed
     * {@value #MAX_ENCODED_SIZE} bytes.
     */
    public static void checkEncodable(String workspace, String clientId, String topic) {
        long size = FIXED_SIZE + utf8Length("workspace", workspace) + utf8Length("client id", clientId)
                + utf8Length("topic", topic);
        if (size > MAX_ENCODED_SIZE) {
            throw new IllegalArgumentException("entry would be " + size + " bytes, over the limit of "
                    + MAX_ENCODED_SIZE + " (workspace " + utf8Length("workspace", workspace) + ", client id "
                    + utf8Length("client id", clientId) + ", topic " + utf8Length("topic", topic) + " bytes)");
        }
    }

    /** The RFC 9162 leaf hash of the encoding. */
    public byte[] leafHash() {
        return Rfc9162.leafHash(encode());
    }

    /** Parses the canonical encoding strictly; {@link IllegalArgumentException} names the field that is wrong. */
    public static LogEntry decode(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("entry is empty");
        }
        if (bytes.length > MAX_ENCODED_SIZE) {
            throw new IllegalArgumentException(
                    "entry is " + bytes.length + " bytes, over the limit of " + MAX_ENCODED_SIZE);
        }
        if (bytes[0] != VERSION) {
            throw new IllegalArgumentException(String.format(
                    "unknown entry version 0x%02x (this build reads version 0x%02x)", bytes[0], VERSION));
        }
        Reader in = new Reader(ByteBuffer.wrap(bytes, 1, bytes.length - 1));
        String workspace = in.text("workspace");
        String clientId = in.text("client id");
        String topic = in.text("topic");
        int qos = in.bytes("qos", 1)[0] & 0xFF;
        if (qos > 2) {
            throw new IllegalArgumentException("qos is " + qos + ", must be 0, 1 or 2");
        }
        byte[] payloadSha256 = in.bytes("payload SHA-256", Rfc9162.HASH_SIZE);
        long receivedAtMicros = in.int64("receive time");
        byte[] salt = in.bytes("salt", SALT_SIZE);
        long sequence = in.int64("sequence number");
        if (sequence < 0) {
            throw new IllegalArgumentException(
                    "sequence number " + Long.toUnsignedString(sequence) + " is beyond 2^63 - 1");
        }
        if (in.remaining() > 0) {
            throw new IllegalArgumentException(in.remaining() + " trailing bytes after the sequence number");
        }
        return new LogEntry(workspace, clientId, topic, qos, payloadSha256, receivedAtMicros, salt, sequence);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogEntry e
                && workspace.equals(e.workspace) && clientId.equals(e.clientId) && topic.equals(e.topic)
                && qos == e.qos && Arrays.equals(payloadSha256, e.payloadSha256)
                && receivedAtMicros == e.receivedAtMicros && Arrays.equals(salt, e.salt) && sequence == e.sequence;
    }

    @Override
    public int hashCode() {
        return Objects.hash(workspace, clientId, topic, qos, Arrays.hashCode(payloadSha256), receivedAtMicros,
                Arrays.hashCode(salt), sequence);
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return "LogEntry[workspace=" + workspace + ", clientId=" + clientId + ", topic=" + topic + ", qos=" + qos
                + ", payloadSha256=" + hex.formatHex(payloadSha256) + ", receivedAtMicros=" + receivedAtMicros
                + ", salt=" + hex.formatHex(salt) + ", sequence=" + sequence + "]";
    }

    /** The UTF-8 length of a field; an unpaired surrogate is refused. */
    private static int utf8Length(String field, String text) {
        int length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                length++;
            } else if (c < 0x800) {
                length += 2;
            } else if (!Character.isSurrogate(c)) {
                length += 3;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                length += 4;
                i++;
            } else {
                throw new IllegalArgumentException(field + " is not valid Unicode (an unpaired surrogate)");
            }
        }
        return length;
    }

    /** Reads fields in order, saying which one ran past the end. */
    private record Reader(ByteBuffer buffer) {

        int remaining() {
            return buffer.remaining();
        }

        byte[] bytes(String field, int length) {
            if (buffer.remaining() < length) {
                throw truncated(field, length);
            }
            byte[] bytes = new byte[length];
            buffer.get(bytes);
            return bytes;
        }

        long int64(String field) {
            try {
                return buffer.getLong();
            } catch (BufferUnderflowException e) {
                throw truncated(field, Long.BYTES);
            }
        }

        String text(String field) {
            byte[] length = bytes(field + " length", 2);
            byte[] utf8 = bytes(field, ((length[0] & 0xFF) << 8) | (length[1] & 0xFF));
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(utf8))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(field + " is not valid UTF-8", e);
            }
        }

        private IllegalArgumentException truncated(String field, int needed) {
            return new IllegalArgumentException("entry truncated in the " + field + ": it needs " + needed
                    + " bytes, " + buffer.remaining() + " remain");
        }
    }
}
