package io.anchormq.anchoring.verify;

import io.anchormq.anchoring.merkle.ProofException;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.proof.ConsistencyProofText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code consistency}: a newer checkpoint of a log extends an older one (the log only appended). */
@Command(name = "consistency",
        description = {"Checks that the new checkpoint's tree extends the old checkpoint's tree: both signed by a "
                + "trusted key, same log, and the consistency proof holds.",
                "Exit code 0: verified; 1: not verified (stderr says what failed); 2: unusable input."})
final class ConsistencyCheck extends Check {

    @Option(names = "--old", required = true, paramLabel = "CHECKPOINT_FILE",
            description = "The older signed checkpoint, or a .tlog-proof whose checkpoint is meant.")
    Path oldFile;

    @Option(names = "--new", required = true, paramLabel = "CHECKPOINT_FILE",
            description = "The newer signed checkpoint, or a .tlog-proof whose checkpoint is meant.")
    Path newFile;

    @Option(names = "--proof", required = true, paramLabel = "FILE",
            description = "The consistency proof: one base64 hash per line.")
    Path proofFile;

    @Override
    void run(PrintWriter out) throws VerificationFailure, UnusableInput {
        List<NoteVerifier> trusted = trustedKeys();
        Checkpoint older = verifiedCheckpoint(readCheckpoint(oldFile, "--old"), "old checkpoint", trusted)
                .checkpoint();
        Checkpoint newer = verifiedCheckpoint(readCheckpoint(newFile, "--new"), "new checkpoint", trusted)
                .checkpoint();
        if (!older.origin().equals(newer.origin())) {
            throw new VerificationFailure("the checkpoints are of different logs: old " + older.origin() + ", new "
                    + newer.origin());
        }
        List<byte[]> proof;
        try {
            proof = ConsistencyProofText.parse(read(proofFile, "--proof"));
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure("consistency proof file does not parse: " + e.getMessage());
        }
        try {
            ProofVerifier.verifyConsistency(older.size(), newer.size(), proof, older.root(), newer.root());
        } catch (ProofException e) {
            throw new VerificationFailure(e.getMessage());
        }
        out.println("verified: in " + newer.origin() + ", the tree of size " + newer.size()
                + " extends the tree of size " + older.size());
    }
}
