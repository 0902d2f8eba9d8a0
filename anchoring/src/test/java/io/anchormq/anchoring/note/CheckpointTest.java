package io.anchormq.anchoring.note;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SignatureException;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CheckpointTest {

    /** The example of C2SP tlog-checkpoint. */
    static final String EXAMPLE = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
            + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9"
            + "nTo+zyWE+xeMcTOAYQ8=\n";

    @Test
    void parsesTheC2spExample() {
        SignedNote note = SignedNote.parse(EXAMPLE);
        Checkpoint checkpoint = Checkpoint.parse(note.text());
        assertEquals("example.com/behind-the-sofa", checkpoint.origin());
        assertEquals(20852163, checkpoint.size());
        assertArrayEquals(Base64.getDecoder().decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="), checkpoint.root());
        assertEquals(List.of(), checkpoint.extensions());
        assertEquals(note.text(), checkpoint.format());
        assertEquals("example.com/behind-the-sofa", note.signatures().get(0).keyName());
    }

    @Test
    void formatsAndParsesWithExtensionLines() {
        Checkpoint checkpoint = new Checkpoint("anchormq.local/log/default", 0, new byte[32], List.of("ext one", "x"));
        assertEquals("anchormq.local/log/default\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next one\nx\n",
                checkpoint.format());
        assertEquals(checkpoint, Checkpoint.parse(checkpoint.format()));
    }

    @Test
    void signedCheckpointRoundTrip() throws SignatureException {
        NoteSigner signer = NoteSigner.generate("anchormq.local/log/default");
        Checkpoint checkpoint = new Checkpoint("anchormq.local/log/default", 1234567, new byte[32]);
        SignedNote note = SignedNote.sign(checkpoint.format(), signer);
        SignedNote parsed = SignedNote.parse(note.format());
        assertEquals(List.of(signer.verifier()), parsed.verify(List.of(signer.verifier())));
        assertEquals(checkpoint, Checkpoint.parse(parsed.text()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=         | checkpoint text does not end with a newline",
        "o\\n12\\n                                                     | checkpoint text has 2 lines; it needs origin, tree size and root hash",
        "\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n       | checkpoint line 1 (origin) is empty",
        "o\\n012\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n     | checkpoint line 2 (tree size) has a leading zero: \"012\"",
        "o\\n00\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n      | checkpoint line 2 (tree size) has a leading zero: \"00\"",
        "o\\n-1\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n      | checkpoint line 2 (tree size) is not a decimal number: \"-1\"",
        "o\\n+1\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n      | checkpoint line 2 (tree size) is not a decimal number: \"+1\"",
        "o\\n 1\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n      | checkpoint line 2 (tree size) is not a decimal number: \" 1\"",
        "o\\n1e3\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n     | checkpoint line 2 (tree size) is not a decimal number: \"1e3\"",
        "o\\n١\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n       | checkpoint line 2 (tree size) is not a decimal number: \"١\"",
        "o\\n\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n        | checkpoint line 2 (tree size) is empty",
        "o\\n9223372036854775808\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n | checkpoint line 2 (tree size) \"9223372036854775808\" is larger than 9223372036854775807",
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\\n      | checkpoint line 3 (root hash) is not canonical padded base64: \"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\"",
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\\n       | checkpoint line 3 (root hash) is not canonical padded base64: \"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\"",
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I= \\n     | checkpoint line 3 (root hash) is not base64: \"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I= \"",
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\\n      | checkpoint line 3 (root hash) has 31 bytes, not 32",
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\\n      | checkpoint line 3 (root hash) is not base64: \"CsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\"",
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n\\n    | checkpoint line 4 (an extension line) is empty",
        "o\\n12\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\ne\\n\\n | checkpoint line 5 (an extension line) is empty",
    })
    void rejectsMalformedText(String escaped, String expected) {
        String text = escaped.replace("\\n", "\n");
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> Checkpoint.parse(text))
                .getMessage());
    }

    @Test
    void constructorChecksItsFields() {
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("", 1, new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("a\nb", 1, new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("o", -1, new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("o", 1, new byte[33]));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("o", 1, new byte[32], List.of("")));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("o", 1, new byte[32], List.of("a\n")));
        byte[] root = new byte[32];
        Checkpoint checkpoint = new Checkpoint("o", 1, root);
        root[0] = 1;
        checkpoint.root()[1] = 1;
        assertArrayEquals(new byte[32], checkpoint.root());
    }
}
