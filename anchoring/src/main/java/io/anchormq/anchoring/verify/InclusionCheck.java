package io.anchormq.anchoring.verify;

import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.merkle.ProofException;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.proof.ChainAnchor;
import io.anchormq.anchoring.proof.TlogProof;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code verify}: a payload, its proof file and the log's keys show that the log holds the message. */
@Command(name = "verify",
        description = {"Checks that a message is in the log: the payload matches the entry in the proof, the entry "
                + "is in the tree the checkpoint commits to, and a trusted key signed the checkpoint. With --rpc, "
                + "also that the chain holds the proof's anchors of that checkpoint.",
                "Exit code 0: verified; 1: not verified (stderr says what failed); 2: unusable input."})
final class InclusionCheck extends Check {

    private static final HexFormat HEX = HexFormat.of();

    @Option(names = "--proof", required = true, paramLabel = "FILE", description = "The .tlog-proof file.")
    Path proofFile;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Payload payload;

    @Option(names = "--rpc", paramLabel = "URL",
            description = "Also check the proof's anchor lines against this EVM node (its JSON-RPC URL).")
    String rpc;

    static final class Payload {
        @Option(names = "--payload", required = true, paramLabel = "FILE", description = "The message payload.")
        Path file;

        @Option(names = "--payload-sha256", required = true, paramLabel = "HEX",
                description = "The payload's SHA-256 (64 hex digits), instead of the payload.")
        String sha256;
    }

    @Override
    void run(PrintWriter out) throws VerificationFailure, UnusableInput {
        List<NoteVerifier> trusted = trustedKeys();
        AnchorCheck chain = rpc == null ? null : new AnchorCheck(new JsonRpc(rpc));
        byte[] payloadSha256 = payloadSha256();
        TlogProof proof;
        try {
            proof = TlogProof.parse(read(proofFile, "--proof"));
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure("proof file does not parse: " + e.getMessage());
        }

        SignedCheckpoint signed = verifiedCheckpoint(proof.checkpointNote(), "checkpoint", trusted);
        Checkpoint checkpoint = signed.checkpoint();

        byte[] extra = proof.extra().orElseThrow(
                () -> new VerificationFailure("the proof has no extra line, so no log entry to check"));
        LogEntry entry;
        try {
            entry = LogEntry.decode(extra);
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure("the proof's extra data is not a log entry: " + e.getMessage());
        }
        byte[] claimed = entry.payloadSha256();
        if (!Arrays.equals(payloadSha256, claimed)) {
            throw new VerificationFailure("payload does not match the entry: SHA-256 is " + HEX.formatHex(payloadSha256)
                    + ", the entry says " + HEX.formatHex(claimed));
        }
        if (entry.sequence() != proof.index()) {
            throw new VerificationFailure("the entry is number " + entry.sequence() + " of its log, but the proof is"
                    + " for leaf index " + proof.index());
        }
        if (!checkpoint.origin().endsWith("/" + entry.workspace())) {
            throw new VerificationFailure("the entry is of workspace " + entry.workspace() + ", but the checkpoint"
                    + " is of the log " + checkpoint.origin());
        }

        byte[] computed;
        try {
            computed = ProofVerifier.rootFromInclusionProof(Rfc9162.leafHash(extra), proof.index(),
                    checkpoint.size(), proof.inclusionProof());
        } catch (ProofException e) {
            throw new VerificationFailure("inclusion proof does not fit the checkpoint: " + e.getMessage());
        }
        if (!Arrays.equals(computed, checkpoint.root())) {
            throw new VerificationFailure("inclusion proof does not lead to the checkpoint root: computed "
                    + base64(computed) + ", checkpoint says " + base64(checkpoint.root()));
        }

        List<String> anchors = new ArrayList<>();
        for (ChainAnchor anchor : proof.anchors()) {
            anchors.add("chain " + anchor.chainId() + ", contract " + anchor.contractHex() + ", tx "
                    + anchor.txHashHex() + ", block " + anchor.blockNumber() + ", log index " + anchor.logIndex()
                    + " (" + (chain == null ? "not checked against a chain" : chain.confirm(anchor, checkpoint)) + ")");
        }
        if (anchors.isEmpty() && chain != null) {
            anchors.add("none: the checkpoint is not anchored, so nothing was checked against the chain");
        }

        out.println("verified: entry " + proof.index() + " of " + checkpoint.origin() + " is in the tree of size "
                + checkpoint.size());
        out.println("  root:            " + base64(checkpoint.root()));
        for (NoteVerifier key : signed.signers()) {
            out.println("  signed by:       " + key.keyLabel());
        }
        out.println("  workspace:       " + entry.workspace());
        out.println("  client id:       " + entry.clientId());
        out.println("  topic:           " + entry.topic());
        out.println("  qos:             " + entry.qos());
        out.println("  received:        " + Instant.EPOCH.plus(entry.receivedAtMicros(), ChronoUnit.MICROS));
        out.println("  payload SHA-256: " + HEX.formatHex(claimed));
        for (String anchor : anchors) {
            out.println("  anchor:          " + anchor);
        }
    }

    private byte[] payloadSha256() throws UnusableInput {
        if (payload.sha256 != null) {
            String hex = payload.sha256.toLowerCase(Locale.ROOT);
            if (hex.length() != 64 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new UnusableInput("--payload-sha256 must be 64 hex digits, not " + payload.sha256);
            }
            return HEX.parseHex(hex);
        }
        try (InputStream in = Files.newInputStream(payload.file)) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha256.update(buffer, 0, n);
            }
            return sha256.digest();
        } catch (IOException e) {
            throw unreadable("--payload", payload.file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String base64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }
}
