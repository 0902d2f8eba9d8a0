package io.anchormq.anchoring.verify;

import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.note.SignedNote;
import io.anchormq.anchoring.proof.TlogProof;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What the subcommands share: trusted keys, the expected origin, reading files, exit codes. */
abstract class Check implements Callable<Integer> {

    static final int VERIFIED = 0;
    static final int FAILED = 1;
    static final int UNUSABLE = 2;

    /** Proofs and checkpoints are a few kilobytes; anything this big is the wrong file. */
    private static final long MAX_TEXT_FILE = 1 << 20;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--key", required = true, paramLabel = "VKEY_OR_FILE",
            description = "A trusted log key: a verifier key <name>+<key id>+<base64 key>, or a file of them, "
                    + "one per line (# comments). Repeatable.")
    List<String> keys;

    @Option(names = "--origin", paramLabel = "ORIGIN", description = "The log the checkpoint must be of.")
    String origin;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            run(out);
            return VERIFIED;
        } catch (VerificationFailure e) {
            err.println("verification failed: " + e.getMessage());
            return FAILED;
        } catch (UnusableInput e) {
            err.println(e.getMessage());
            return UNUSABLE;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Verifies, printing what was verified; throws on the first check that fails. */
    abstract void run(PrintWriter out) throws VerificationFailure, UnusableInput;

    List<NoteVerifier> trustedKeys() throws UnusableInput {
        List<NoteVerifier> trusted = new ArrayList<>();
        for (String key : keys) {
            Path file = asPath(key);
            if (file != null && Files.isRegularFile(file)) {
                trusted.addAll(keysInFile(file));
                continue;
            }
            try {
                trusted.add(NoteVerifier.parse(key));
            } catch (IllegalArgumentException e) {
                throw new UnusableInput("--key " + key + " is neither a file nor a verifier key: " + e.getMessage());
            }
        }
        return trusted;
    }

    /** A checkpoint and the trusted keys that signed it. */
    record SignedCheckpoint(Checkpoint checkpoint, List<NoteVerifier> signers) {
    }

    /** The checkpoint signed by at least one trusted key, and by no trusted key wrongly, of the expected origin. */
    SignedCheckpoint verifiedCheckpoint(SignedNote note, String which, List<NoteVerifier> trusted)
            throws VerificationFailure {
        List<NoteVerifier> signers;
        try {
            signers = note.verify(trusted);
        } catch (SignatureException e) {
            throw new VerificationFailure(which + ": " + e.getMessage());
        }
        Checkpoint checkpoint = Checkpoint.parse(note.text());
        if (origin != null && !origin.equals(checkpoint.origin())) {
            throw new VerificationFailure(which + " is of the log " + checkpoint.origin() + ", not of " + origin);
        }
        return new SignedCheckpoint(checkpoint, signers);
    }

    /** A signed checkpoint file, or a tlog-proof file whose checkpoint is meant. */
    static SignedNote readCheckpoint(Path file, String option) throws UnusableInput, VerificationFailure {
        byte[] bytes = read(file, option);
        String header = TlogProof.HEADER + "\n";
        try {
            if (new String(bytes, 0, Math.min(bytes.length, header.length()), StandardCharsets.UTF_8)
                    .equals(header)) {
                return TlogProof.parse(bytes).checkpointNote();
            }
            SignedNote note = SignedNote.parse(bytes);
            Checkpoint.parse(note.text());
            return note;
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure(option + " " + file + " does not parse: " + e.getMessage());
        }
    }

    static byte[] read(Path file, String option) throws UnusableInput {
        try {
            long size = Files.size(file);
            if (size > MAX_TEXT_FILE) {
                throw new UnusableInput(option + " " + file + " is " + size + " bytes, too big for a proof or"
                        + " checkpoint");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw unreadable(option, file, e);
        }
    }

    static UnusableInput unreadable(String option, Path file, IOException e) {
        String why = e instanceof NoSuchFileException ? "no such file"
                : e instanceof AccessDeniedException ? "permission denied"
                : e instanceof CharacterCodingException ? "not UTF-8 text"
                : Files.isDirectory(file) ? "it is a directory"
                : e.toString();
        return new UnusableInput("cannot read " + option + " " + file + ": " + why);
    }

    private static Path asPath(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static List<NoteVerifier> keysInFile(Path file) throws UnusableInput {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw unreadable("--key", file, e);
        }
        List<NoteVerifier> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                found.add(NoteVerifier.parse(line));
            } catch (IllegalArgumentException e) {
                throw new UnusableInput("--key " + file + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (found.isEmpty()) {
            throw new UnusableInput("--key " + file + " holds no verifier key");
        }
        return found;
    }
}
