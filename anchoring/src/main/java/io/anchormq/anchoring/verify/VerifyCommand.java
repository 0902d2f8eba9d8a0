package io.anchormq.anchoring.verify;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The standalone verifier of anchormq proofs ({@code java -jar anchormq-verify.jar}): needs only the proof files,
 * the payload and the log's public keys; no broker, and no network unless anchors are to be checked on a chain
 * ({@code verify --rpc}).
 */
@Command(name = "anchormq-verify", mixinStandardHelpOptions = true, versionProvider = VerifyCommand.Version.class,
        subcommands = {InclusionCheck.class, ConsistencyCheck.class},
        description = "Verifies anchormq log proofs offline (C2SP tlog-proof, signed checkpoints, RFC 9162), and "
                + "their chain anchors with --rpc.")
public final class VerifyCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, for running the verifier in-process. */
    public static CommandLine commandLine() {
        return new CommandLine(new VerifyCommand());
    }

    /** The version the jar's manifest carries. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = VerifyCommand.class.getPackage().getImplementationVersion();
            return new String[] {"anchormq-verify " + (version == null ? "(development build)" : version)};
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: verify or consistency");
    }
}
