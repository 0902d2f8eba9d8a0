package io.anchormq.anchoring.entry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogEntryTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] PAYLOAD_SHA256 = Rfc9162.sha256("21.5".getBytes(StandardCharsets.UTF_8));
    private static final byte[] SALT = HEX.parseHex("000102030405060708090a0b0c0d0e0f");

    static LogEntry sample() {
        return new LogEntry("default", "sensor-7", "plant/1/temp", 1, PAYLOAD_SHA256, 1_717_000_000_123_456L, SALT,
                41);
    }

    /** The layout of the design, written out field by field. */
    private static final String SAMPLE_HEX = "01"
            + "0007" + "64656661756c74"                      // "default"
            + "0008" + "73656e736f722d37"                    // "sensor-7"
            + "000c" + "706c616e742f312f74656d70"            // "plant/1/temp"
            + "01"                                           // qos
            + HEX.formatHex(PAYLOAD_SHA256)
            + "0006199a37163240"                             // 1717000000123456 µs
            + "000102030405060708090a0b0c0d0e0f"             // salt
            + "0000000000000029";                            // sequence 41

    @Test
    void encodesTheV1Layout() {
        assertEquals(SAMPLE_HEX, HEX.formatHex(sample().encode()));
    }

    @Test
    void leafHashIsRfc9162OfTheEncoding() {
        byte[] prefixed = HEX.parseHex("00" + SAMPLE_HEX);
        assertArrayEquals(Rfc9162.sha256(prefixed), sample().leafHash());
    }

    @Test
    void decodesWhatItEncodes() {
        LogEntry entry = sample();
        assertEquals(entry, LogEntry.decode(entry.encode()));
        LogEntry unicode = new LogEntry("wörkspace", "客户端", "капля/💧", 2, PAYLOAD_SHA256, -5, SALT,
                Long.MAX_VALUE);
        assertEquals(unicode, LogEntry.decode(unicode.encode()));
        LogEntry empty = new LogEntry("", "", "", 0, new byte[32], 0, new byte[16], 0);
        assertEquals(empty, LogEntry.decode(empty.encode()));
        assertEquals(1 + 6 + 1 + 32 + 8 + 16 + 8, empty.encode().length);
    }

    @Test
    void everyTruncationSaysWhichFieldIsCut() {
        byte[] full = sample().encode();
        String[] expectedField = new String[full.length];
        int at = 0;
        at = mark(expectedField, at, 1, "version");
        at = mark(expectedField, at, 2, "workspace length");
        at = mark(expectedField, at, 7, "workspace");
        at = mark(expectedField, at, 2, "client id length");
        at = mark(expectedField, at, 8, "client id");
        at = mark(expectedField, at, 2, "topic length");
        at = mark(expectedField, at, 12, "topic");
        at = mark(expectedField, at, 1, "qos");
        at = mark(expectedField, at, 32, "payload SHA-256");
        at = mark(expectedField, at, 8, "receive time");
        at = mark(expectedField, at, 16, "salt");
        at = mark(expectedField, at, 8, "sequence number");
        assertEquals(full.length, at);
        assertEquals("entry is empty", decodeError(new byte[0]));
        for (int length = 1; length < full.length; length++) {
            String message = decodeError(Arrays.copyOf(full, length));
            assertTrue(message.startsWith("entry truncated in the " + expectedField[length] + ": "),
                    length + " bytes: " + message);
        }
        assertEquals("entry truncated in the topic: it needs 12 bytes, 3 remain",
                decodeError(Arrays.copyOf(full, 1 + 2 + 7 + 2 + 8 + 2 + 3)));
    }

    @Test
    void rejectsTrailingBytesUnknownVersionsAndBadQos() {
        byte[] full = sample().encode();
        assertEquals("1 trailing bytes after the sequence number", decodeError(Arrays.copyOf(full, full.length + 1)));

        byte[] v2 = full.clone();
        v2[0] = 2;
        assertEquals("unknown entry version 0x02 (this build reads version 0x01)", decodeError(v2));
        v2[0] = 0;
        assertEquals("unknown entry version 0x00 (this build reads version 0x01)", decodeError(v2));

        int qosAt = 1 + 2 + 7 + 2 + 8 + 2 + 12;
        byte[] qos = full.clone();
        qos[qosAt] = 3;
        assertEquals("qos is 3, must be 0, 1 or 2", decodeError(qos));
        qos[qosAt] = (byte) 0xFF;
        assertEquals("qos is 255, must be 0, 1 or 2", decodeError(qos));

        byte[] sequence = full.clone();
        sequence[full.length - 8] = (byte) 0x80;
        assertEquals("sequence number 9223372036854775849 is beyond 2^63 - 1", decodeError(sequence));
    }

    @ParameterizedTest
    @CsvSource({
        "c328, lone continuation byte after a lead byte",
        "c0af, overlong encoding of '/'",
        "eda080, UTF-16 surrogate encoded in UTF-8",
        "f4908080, code point beyond U+10FFFF",
        "ff, byte that never occurs in UTF-8",
    })
    void rejectsInvalidUtf8InEachText(String badHex, String why) {
        byte[] bad = HEX.parseHex(badHex);
        assertEquals("workspace is not valid UTF-8", decodeError(withTexts(bad, new byte[0], new byte[0])), why);
        assertEquals("client id is not valid UTF-8", decodeError(withTexts(new byte[0], bad, new byte[0])), why);
        assertEquals("topic is not valid UTF-8", decodeError(withTexts(new byte[0], new byte[0], bad)), why);
    }

    @Test
    void encodeRefusesEntriesOverTheLimitAndInvalidUnicode() {
        String big = "t".repeat(LogEntry.MAX_ENCODED_SIZE - 72 - 4);
        LogEntry fits = new LogEntry("w", "c", big + "xx", 0, PAYLOAD_SHA256, 0, SALT, 0);
        assertEquals(LogEntry.MAX_ENCODED_SIZE, fits.encode().length);
        assertEquals(fits, LogEntry.decode(fits.encode()));
        LogEntry over = new LogEntry("w", "c", big + "xxx", 0, PAYLOAD_SHA256, 0, SALT, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, over::encode);
        assertEquals("entry would be 65536 bytes, over the limit of 65535 (workspace 1, client id 1, topic 65462 bytes)",
                e.getMessage());

        byte[] tooLong = new byte[LogEntry.MAX_ENCODED_SIZE + 1];
        tooLong[0] = 1;
        assertEquals("entry is 65536 bytes, over the limit of 65535", decodeError(tooLong));

        LogEntry surrogate = new LogEntry("w", "c\uD800", "t", 0, PAYLOAD_SHA256, 0, SALT, 0);
        assertEquals("client id is not valid Unicode (an unpaired surrogate)",
                assertThrows(IllegalArgumentException.class, surrogate::encode).getMessage());
    }

    @Test
    void checkEncodableAgreesWithEncodeWithoutEncoding() {
        String big = "t".repeat(LogEntry.MAX_ENCODED_SIZE - 72 - 4);
        LogEntry.checkEncodable("w", "c", big + "xx");
        IllegalArgumentException over = assertThrows(IllegalArgumentException.class,
                () -> LogEntry.checkEncodable("w", "c", big + "xxx"));
        assertEquals("entry would be 65536 bytes, over the limit of 65535 (workspace 1, client id 1, topic 65462 bytes)",
                over.getMessage());
        // multi-byte characters count as their UTF-8 bytes: "é" 2, "€" 3, "😀" (a surrogate pair) 4
        String wide = big.substring(7) + "é€😀"; // 7 bytes fewer, 9 more: exactly at the limit
        assertEquals(LogEntry.MAX_ENCODED_SIZE,
                new LogEntry("w", "c", wide, 0, PAYLOAD_SHA256, 0, SALT, 0).encode().length);
        LogEntry.checkEncodable("w", "c", wide);
        assertThrows(IllegalArgumentException.class, () -> LogEntry.checkEncodable("w", "c", wide + "€"));
        assertEquals("client id is not valid Unicode (an unpaired surrogate)",
                assertThrows(IllegalArgumentException.class, () -> LogEntry.checkEncodable("w", "c\uD800", "t"))
                        .getMessage());
        assertEquals("topic is not valid Unicode (an unpaired surrogate)",
                assertThrows(IllegalArgumentException.class, () -> LogEntry.checkEncodable("w", "c", "\uDC00t"))
                        .getMessage());
    }

    @Test
    void constructorChecksFieldsAndCopiesArrays() {
        assertThrows(IllegalArgumentException.class,
                () -> new LogEntry("w", "c", "t", 3, PAYLOAD_SHA256, 0, SALT, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new LogEntry("w", "c", "t", -1, PAYLOAD_SHA256, 0, SALT, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new LogEntry("w", "c", "t", 0, new byte[31], 0, SALT, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new LogEntry("w", "c", "t", 0, PAYLOAD_SHA256, 0, new byte[15], 0));
        assertThrows(IllegalArgumentException.class,
                () -> new LogEntry("w", "c", "t", 0, PAYLOAD_SHA256, 0, SALT, -1));
        assertThrows(NullPointerException.class, () -> new LogEntry(null, "c", "t", 0, PAYLOAD_SHA256, 0, SALT, 0));

        byte[] salt = SALT.clone();
        LogEntry entry = new LogEntry("w", "c", "t", 0, PAYLOAD_SHA256, 0, salt, 0);
        salt[0] = 99;
        entry.salt()[1] = 99;
        entry.payloadSha256()[0] ^= 1;
        assertArrayEquals(SALT, entry.salt());
        assertArrayEquals(PAYLOAD_SHA256, entry.payloadSha256());
        assertEquals(new LogEntry("w", "c", "t", 0, PAYLOAD_SHA256.clone(), 0, SALT.clone(), 0), entry);
        assertEquals(new LogEntry("w", "c", "t", 0, PAYLOAD_SHA256.clone(), 0, SALT.clone(), 0).hashCode(),
                entry.hashCode());
        assertNotEquals(new LogEntry("w", "c", "t", 0, PAYLOAD_SHA256, 0, new byte[16], 0), entry);
    }

    private static int mark(String[] fields, int at, int length, String field) {
        Arrays.fill(fields, at, at + length, field);
        return at + length;
    }

    private static byte[] withTexts(byte[] workspace, byte[] clientId, byte[] topic) {
        byte[] rest = Arrays.copyOfRange(sample().encode(), 1 + 2 + 7 + 2 + 8 + 2 + 12, sample().encode().length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        for (byte[] text : new byte[][] {workspace, clientId, topic}) {
            out.write(text.length >> 8);
            out.write(text.length);
            out.writeBytes(text);
        }
        out.writeBytes(rest);
        return out.toByteArray();
    }

    private static String decodeError(byte[] bytes) {
        return assertThrows(IllegalArgumentException.class, () -> LogEntry.decode(bytes)).getMessage();
    }
}
