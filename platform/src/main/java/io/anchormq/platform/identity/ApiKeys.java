package io.anchormq.platform.identity;

import io.anchormq.platform.store.ApiKey;
import io.anchormq.platform.store.ApiKeyTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

/**
 * Admin API keys: 256 random bits shown once when made ({@code amq_<base64url>}), stored only as their SHA-256 (a
 * key is not a password a person chose, so a slow hash adds nothing), presented as {@code Authorization: Bearer}.
 */
public final class ApiKeys {

    private static final String PREFIX = "amq_";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A key just made: the stored record, and the secret, which is not stored and cannot be shown again. */
    public record Issued(ApiKey key, String secret) {
    }

    private final ApiKeyTable table;

    public ApiKeys(ApiKeyTable table) {
        this.table = table;
    }

    public Issued issue(String workspace, String role, String name) {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        ApiKey key = new ApiKey(UUID.randomUUID().toString(), workspace, role, name, sha256(secret), Instant.now(),
                null);
        table.create(key);
        return new Issued(key, secret);
    }

    /** The caller an Authorization header stands for, if it holds a key that exists and is not revoked. */
    public Optional<Caller> resolve(Optional<String> authorization) {
        if (authorization.isEmpty()) {
            return Optional.empty();
        }
        String value = authorization.get().trim();
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String secret = value.substring(7).trim();
        if (!secret.startsWith(PREFIX) || secret.length() > 100) {
            return Optional.empty();
        }
        return table.findBySecretHash(sha256(secret))
                .filter(k -> k.revokedAt() == null)
                .map(k -> new Caller(k.id(), k.role(), k.workspaceId()));
    }

    /**
     * On the first start (no key exists), makes a platform admin key and writes it to {@code file}, readable by the
     * owner only; returns the file, or empty when keys existed already.
     */
    public Optional<Path> bootstrap(Path file) throws IOException {
        if (table.count() > 0) {
            return Optional.empty();
        }
        Issued first = issue(null, Caller.PLATFORM_ADMIN, "created at first start");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, first.secret() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        return Optional.of(file);
    }

    static String sha256(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
