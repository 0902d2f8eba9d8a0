package io.anchormq.anchoring.proof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsistencyProofTextTest {

    @Test
    void oneBase64HashPerLine() {
        byte[] a = Rfc9162.sha256(new byte[] {1});
        byte[] b = Rfc9162.sha256(new byte[] {2});
        String text = ConsistencyProofText.format(List.of(a, b));
        assertEquals(Base64.getEncoder().encodeToString(a) + "\n" + Base64.getEncoder().encodeToString(b) + "\n",
                text);
        List<byte[]> parsed = ConsistencyProofText.parse(text.getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, parsed.size());
        assertEquals(List.of(), ConsistencyProofText.parse(""));
        assertEquals("", ConsistencyProofText.format(List.of()));
        assertEquals(text, ConsistencyProofText.format(parsed));
    }

    @Test
    void rejectsMalformedText() {
        String hash = Base64.getEncoder().encodeToString(new byte[32]);
        assertRejected("consistency proof does not end with a newline", hash);
        assertRejected("consistency proof line 2: hash has 0 bytes, not 32",
                hash + "\n\n");
        assertRejected("consistency proof line 1: hash has 31 bytes, not 32",
                Base64.getEncoder().encodeToString(new byte[31]) + "\n");
        assertRejected("consistency proof line 1: hash is not base64: \"" + hash + "\r\"", hash + "\r\n");
        assertRejected("consistency proof line 1: hash is not base64: \"" + hash + " \"", hash + " \n");
        assertRejected("consistency proof has more than 64 lines; no pair of trees needs more",
                (hash + "\n").repeat(65));
        assertEquals(64, ConsistencyProofText.parse((hash + "\n").repeat(64)).size());
    }

    private static void assertRejected(String expected, String text) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> ConsistencyProofText.parse(text))
                .getMessage());
    }
}
