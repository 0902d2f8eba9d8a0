package io.anchormq.anchoring.testsupport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A class of the tests run in a JVM of its own, with the tests' class path: crash tests kill it with SIGKILL. */
public final class ChildJvm {

    private ChildJvm() {
    }

    /** {@code java <jvmOptions> -cp <the tests' class path> <main> <args>}, not started yet. */
    public static ProcessBuilder of(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        // Surefire runs tests from a manifest-only jar; it names the real class path in this property
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.addAll(jvmOptions);
        command.add(main.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }
}
