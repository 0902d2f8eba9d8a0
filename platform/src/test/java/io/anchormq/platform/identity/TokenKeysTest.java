package io.anchormq.platform.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token key file across restarts: made once, owner-only, reused, keys added and removed, the newest signs. */
class TokenKeysTest {

    @TempDir
    Path dir;

    @Test
    void theFirstOpenMakesOneKeyOwnerOnlyAndLaterOpensReuseIt() throws Exception {
        Path file = dir.resolve("pki").resolve("token-keys.json");
        TokenKeys first = TokenKeys.open(file);
        assertEquals(1, first.all().size());
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file));
        TokenKeys again = TokenKeys.open(file);
        assertEquals(first.signing().getKeyID(), again.signing().getKeyID());
        assertEquals(first.signing().toECPrivateKey(), again.signing().toECPrivateKey());
        assertFalse(first.publicSet().getKeys().get(0).isPrivate(), "the public set has no private part");
    }

    @Test
    void anAddedKeySignsAndSurvivesARestartAndTheLastKeyStays() {
        Path file = dir.resolve("token-keys.json");
        TokenKeys keys = TokenKeys.open(file);
        String oldKid = keys.signing().getKeyID();
        String newKid = keys.add().getKeyID();
        assertEquals(newKid, keys.signing().getKeyID());
        List<String> kids = TokenKeys.open(file).publicSet().getKeys().stream().map(JWK::getKeyID).toList();
        assertEquals(List.of(oldKid, newKid), kids, "oldest first, the newest signs");

        DeviceTokens tokens = new DeviceTokens(TokenKeys.open(file), "anchormq", Duration.ofSeconds(30),
                Duration.ofDays(30), Duration.ofDays(365));
        Instant now = Instant.now();
        DeviceTokens.Issued issued = tokens.sign("id-1", "ws", "dev", now, DeviceTokens.expiry(now, Duration.ofHours(1)));
        assertEquals(newKid, issued.keyId());
        assertEquals(new DeviceTokens.Bearer("ws", "dev", "id-1"), tokens.verify(issued.token()).orElseThrow());

        assertTrue(keys.remove(newKid));
        assertFalse(keys.remove(newKid));
        assertThrows(IllegalStateException.class, () -> keys.remove(oldKid));
        TokenKeys reopened = TokenKeys.open(file);
        assertEquals(oldKid, reopened.signing().getKeyID());
        DeviceTokens afterRemoval = new DeviceTokens(reopened, "anchormq", Duration.ofSeconds(30),
                Duration.ofDays(30), Duration.ofDays(365));
        assertTrue(afterRemoval.verify(issued.token()).isEmpty(), "a token of a removed key");
    }

    @Test
    void aFileThatIsNotAKeySetStopsTheStart() throws Exception {
        Path file = dir.resolve("token-keys.json");
        Files.writeString(file, "{\"keys\": []}");
        assertThrows(IllegalStateException.class, () -> TokenKeys.open(file));
        Files.writeString(file, "not json");
        assertThrows(IllegalStateException.class, () -> TokenKeys.open(file));
    }
}
