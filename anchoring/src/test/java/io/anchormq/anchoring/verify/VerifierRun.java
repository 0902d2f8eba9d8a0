package io.anchormq.anchoring.verify;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of the verifier's command line, as a user runs {@code anchormq-verify.jar}, with what it printed. */
public record VerifierRun(int exitCode, String out, String err) {

    public static VerifierRun of(String... args) {
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        CommandLine cli = VerifyCommand.commandLine();
        cli.setOut(new PrintWriter(stdout));
        cli.setErr(new PrintWriter(stderr));
        int code = cli.execute(args);
        return new VerifierRun(code, stdout.toString(), stderr.toString());
    }
}
