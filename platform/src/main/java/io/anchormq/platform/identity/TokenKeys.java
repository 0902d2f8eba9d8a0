package io.anchormq.platform.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * The platform's token signing keys (ES256, P-256), kept as a JWK set with their private parts in one file readable
 * by its owner only. The newest key signs; every key verifies, so that a new key can be added and the old one
 * removed later, once the tokens it signed have expired or been reissued. Generated on first start.
 *
 * <p>Each node of a platform has its own file: nodes that share a store must share this file too.
 */
public final class TokenKeys {

    private final Path file;
    // oldest first; replaced whole on every change, so readers need no lock
    private volatile List<ECKey> keys;

    private TokenKeys(Path file, List<ECKey> keys) {
        this.file = file;
        this.keys = keys;
    }

    /** The keys in {@code file}; when there is none, a new file with one new key. */
    public static TokenKeys open(Path file) {
        if (!Files.exists(file)) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the directory of " + file, e);
            }
            TokenKeys created = new TokenKeys(file, List.of(generate()));
            created.save();
            return created;
        }
        List<ECKey> keys = new ArrayList<>();
        try {
            for (JWK k : JWKSet.load(file.toFile()).getKeys()) {
                if (!(k instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve()) || !ec.isPrivate()
                        || ec.getKeyID() == null) {
                    throw new IllegalStateException("the token key file " + file.toAbsolutePath()
                            + " holds a key that is not a private P-256 key with a kid: " + k.getKeyID());
                }
                keys.add(ec);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token key file " + file.toAbsolutePath(), e);
        } catch (ParseException e) {
            throw new IllegalStateException("the token key file " + file.toAbsolutePath() + " is not a JWK set: "
                    + e.getMessage(), e);
        }
        if (keys.isEmpty()) {
            throw new IllegalStateException("the token key file " + file.toAbsolutePath() + " holds no key");
        }
        return new TokenKeys(file, List.copyOf(keys));
    }

    /** The key that signs new tokens: the newest. */
    ECKey signing() {
        List<ECKey> k = keys;
        return k.get(k.size() - 1);
    }

    /** Every key, oldest first (private parts included: for this process only). */
    List<ECKey> all() {
        return keys;
    }

    /** The public keys, oldest first, as served at {@code /api/v1/jwks.json}: the last one signs. */
    public JWKSet publicSet() {
        return new JWKSet(new ArrayList<>(keys)).toPublicJWKSet();
    }

    /** Adds a new key, which signs from now on; returns it. */
    public synchronized ECKey add() {
        List<ECKey> next = new ArrayList<>(keys);
        ECKey key = generate();
        next.add(key);
        keys = List.copyOf(next);
        save();
        return key;
    }

    /**
     * Removes the key: the tokens it signed no longer verify.
     *
     * @return false when there is no key with that kid
     * @throws IllegalStateException when it is the last key (nothing would sign)
     */
    public synchronized boolean remove(String kid) {
        Optional<ECKey> found = keys.stream().filter(k -> k.getKeyID().equals(kid)).findFirst();
        if (found.isEmpty()) {
            return false;
        }
        if (keys.size() == 1) {
            throw new IllegalStateException("the last token key cannot be removed: add another first");
        }
        List<ECKey> next = new ArrayList<>(keys);
        next.remove(found.get());
        keys = List.copyOf(next);
        save();
        return true;
    }

    private static ECKey generate() {
        try {
            // kid: the RFC 7638 thumbprint, so that it names the key itself
            return new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .issueTime(new Date()).keyIDFromThumbprint(true).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a P-256 key", e);
        }
    }

    /** Replaces the file whole (a crash leaves the old or the new one), created owner-only. */
    private void save() {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(temporary);
            if (Files.getFileStore(file.toAbsolutePath().getParent()).supportsFileAttributeView("posix")) {
                Files.createFile(temporary,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(temporary);
            }
            try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
                writer.write(new JWKSet(new ArrayList<>(keys)).toString(false));
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the token key file " + file.toAbsolutePath(), e);
        }
    }
}
