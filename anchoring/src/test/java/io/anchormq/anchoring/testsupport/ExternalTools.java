package io.anchormq.anchoring.testsupport;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Programs from outside the project that some tests drive (mosquitto clients, ganache, Python). Without one, those
 * tests are skipped on a developer's machine but fail under CI (the environment variable CI set), where
 * {@code .ci/run} must have installed it: a missing install step must not pass as skipped tests.
 */
public final class ExternalTools {

    private ExternalTools() {
    }

    /** The executable {@code name} in a directory of PATH. */
    public static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Skips the calling test (fails it under CI) unless {@code present}.
     *
     * @param what what is missing, e.g. "ganache"
     * @param install how to install it, e.g. "npm install -g ganache@7.9.2"
     */
    public static void require(boolean present, String what, String install) {
        if (present) {
            return;
        }
        if (System.getenv("CI") != null) {
            fail(what + " is missing, and CI is set: .ci/run must install it (" + install + ")");
        }
        assumeTrue(false, what + " is missing (" + install + "): test skipped");
    }
}
