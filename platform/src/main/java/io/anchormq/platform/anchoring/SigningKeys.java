package io.anchormq.platform.anchoring;

import io.anchormq.anchoring.note.NoteSigner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The checkpoint signing keys: from the configuration, or generated once into the data directory. */
final class SigningKeys {

    private static final Logger log = LoggerFactory.getLogger(SigningKeys.class);
    private static final String INLINE_PREFIX = "PRIVATE+KEY+";

    private SigningKeys() {
    }

    static List<NoteSigner> load(AnchoringSettings settings) throws IOException {
        List<NoteSigner> signers = new ArrayList<>();
        for (String configured : settings.signingKeys()) {
            signers.add(configured.startsWith(INLINE_PREFIX) ? parse(configured, "anchormq.anchoring.signing-keys")
                    : parse(Files.readString(Path.of(configured), StandardCharsets.UTF_8).trim(), configured));
        }
        if (signers.isEmpty()) {
            signers.add(generatedKey(settings));
        }
        for (NoteSigner s : signers) {
            if (!s.name().equals(settings.origin())) {
                // C2SP tlog-checkpoint: the log's key name SHOULD match the origin line; verifiers may insist
                log.warn("signing key {} is not named after the log's origin {}", s.name(), settings.origin());
            }
        }
        return List.copyOf(signers);
    }

    private static NoteSigner parse(String skey, String where) {
        try {
            return NoteSigner.parse(skey);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("signing key from " + where + " is not a note signer key: "
                    + e.getMessage(), e);
        }
    }

    /** The key kept in {@code <data-dir>/log/<workspace>.key}, made on first start (readable by the owner only). */
    private static NoteSigner generatedKey(AnchoringSettings settings) throws IOException {
        Path keyFile = settings.logDirectory().resolveSibling(settings.workspace() + ".key");
        Path vkeyFile = settings.logDirectory().resolveSibling(settings.workspace() + ".vkey");
        if (Files.exists(keyFile)) {
            return parse(Files.readString(keyFile, StandardCharsets.UTF_8).trim(), keyFile.toString());
        }
        Files.createDirectories(keyFile.getParent());
        NoteSigner signer = NoteSigner.generate(settings.origin());
        Path tmp = Files.createTempFile(keyFile.getParent(), ".key", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, signer.format() + "\n", StandardCharsets.UTF_8);
        try {
            // never replace a key another start made meanwhile: checkpoints signed with it would stop verifying
            Files.move(tmp, keyFile, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(tmp);
            return parse(Files.readString(keyFile, StandardCharsets.UTF_8).trim(), keyFile.toString());
        }
        Files.writeString(vkeyFile, signer.verifier().format() + "\n", StandardCharsets.UTF_8);
        log.info("generated checkpoint signing key {} (verifier key in {})", keyFile, vkeyFile);
        return signer;
    }
}
