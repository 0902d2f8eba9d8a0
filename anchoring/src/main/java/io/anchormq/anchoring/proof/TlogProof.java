package io.anchormq.anchoring.proof;

import io.anchormq.anchoring.note.CanonicalEncoding;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteSignature;
import io.anchormq.anchoring.note.SignedNote;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An offline proof in the C2SP tlog-proof@v1 format (files {@code .tlog-proof}):
 * <pre>
 * c2sp.org/tlog-proof@v1
 * extra &lt;base64 of opaque data: for us, the encoded LogEntry&gt;
 * index &lt;leaf index&gt;
 * &lt;base64 inclusion proof hash, leaf sibling first&gt;
 * ...
 * &lt;empty line&gt;
 * &lt;the signed checkpoint, verbatim&gt;
 * </pre>
 * Parsing is strict and {@link #format} gives back the parsed text exactly. The checkpoint may carry
 * {@link ChainAnchor} lines. Nothing here is verified: that takes the payload, the log's keys and
 * {@link io.anchormq.anchoring.merkle.ProofVerifier}. Immutable.
 */
public final class TlogProof {

    public static final String HEADER = "c2sp.org/tlog-proof@v1";
    /** A tree of at most 2^63 - 1 leaves has inclusion proofs of at most 63 hashes. */
    static final int MAX_PROOF_HASHES = 63;

    private static final String EXTRA = "extra ";
    private static final String INDEX = "index ";

    private final byte[] extra;
    private final long index;
    private final List<byte[]> inclusionProof;
    private final SignedNote checkpointNote;
    private final Checkpoint checkpoint;

    /**
     * @param extra the opaque extra data, or null for none
     * @param checkpointNote the signed checkpoint; its text must be a checkpoint
     */
    public TlogProof(byte[] extra, long index, List<byte[]> inclusionProof, SignedNote checkpointNote) {
        if (index < 0) {
            throw new IllegalArgumentException("leaf index " + index + " is negative");
        }
        if (inclusionProof.size() > MAX_PROOF_HASHES) {
            throw new IllegalArgumentException("inclusion proof has " + inclusionProof.size()
                    + " hashes, more than the " + MAX_PROOF_HASHES + " of any tree");
        }
        List<byte[]> hashes = new ArrayList<>(inclusionProof.size());
        for (byte[] hash : inclusionProof) {
            if (hash.length != 32) {
                throw new IllegalArgumentException("inclusion proof hash has " + hash.length + " bytes, not 32");
            }
            hashes.add(hash.clone());
        }
        this.extra = extra == null ? null : extra.clone();
        this.index = index;
        this.inclusionProof = List.copyOf(hashes);
        this.checkpointNote = Objects.requireNonNull(checkpointNote, "checkpointNote");
        this.checkpoint = Checkpoint.parse(checkpointNote.text());
        anchors(); // a malformed anchor line makes a malformed proof
    }

    /** Parses a proof file; {@link IllegalArgumentException} says which line is wrong and why. */
    public static TlogProof parse(byte[] file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(file))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("proof is not valid UTF-8", e);
        }
        return parse(text);
    }

    /** Parses proof text. */
    public static TlogProof parse(String text) {
        Lines lines = new Lines(text);
        String header = lines.next("the header");
        if (!header.equals(HEADER)) {
            throw lines.error("is " + CanonicalEncoding.quote(header) + ", not the header " + HEADER);
        }
        String line = lines.next("the index line");
        byte[] extra = null;
        if (line.startsWith(EXTRA)) {
            try {
                extra = CanonicalEncoding.decodeBase64(line.substring(EXTRA.length()), "extra data");
            } catch (IllegalArgumentException e) {
                throw lines.error(e);
            }
            line = lines.next("the index line");
        }
        if (!line.startsWith(INDEX)) {
            throw lines.error("should be \"index <leaf index>\"" + (extra == null ? " or \"extra <base64>\"" : "")
                    + ", is " + CanonicalEncoding.quote(line));
        }
        long index;
        try {
            index = CanonicalEncoding.parseDecimal(line.substring(INDEX.length()), "leaf index");
        } catch (IllegalArgumentException e) {
            throw lines.error(e);
        }
        List<byte[]> hashes = new ArrayList<>();
        for (line = lines.next("the empty line before the checkpoint"); !line.isEmpty();
                line = lines.next("the empty line before the checkpoint")) {
            if (hashes.size() == MAX_PROOF_HASHES) {
                throw lines.error("is inclusion proof hash " + (MAX_PROOF_HASHES + 1) + "; no tree needs more than "
                        + MAX_PROOF_HASHES);
            }
            try {
                hashes.add(CanonicalEncoding.decodeHash(line, "inclusion proof hash"));
            } catch (IllegalArgumentException e) {
                throw lines.error(e);
            }
        }
        int checkpointLine = lines.number() + 1;
        String note = lines.rest();
        if (note.isEmpty()) {
            throw new IllegalArgumentException("proof has no checkpoint after the empty line");
        }
        try {
            return new TlogProof(extra, index, hashes, SignedNote.parse(note));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("proof checkpoint (from line " + checkpointLine + "): "
                    + e.getMessage(), e);
        }
    }

    /** The proof text. */
    public String format() {
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        if (extra != null) {
            out.append(EXTRA).append(Base64.getEncoder().encodeToString(extra)).append('\n');
        }
        out.append(INDEX).append(index).append('\n');
        inclusionProof.forEach(h -> out.append(Base64.getEncoder().encodeToString(h)).append('\n'));
        return out.append('\n').append(checkpointNote.format()).toString();
    }

    public Optional<byte[]> extra() {
        return Optional.ofNullable(extra).map(byte[]::clone);
    }

    public long index() {
        return index;
    }

    public List<byte[]> inclusionProof() {
        return inclusionProof.stream().map(byte[]::clone).toList();
    }

    /** The checkpoint as signed, with all its signature lines. */
    public SignedNote checkpointNote() {
        return checkpointNote;
    }

    /** The checkpoint the note's text holds. */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /** The anchor lines of the checkpoint note, in order. */
    public List<ChainAnchor> anchors() {
        List<ChainAnchor> anchors = new ArrayList<>();
        for (NoteSignature line : checkpointNote.signatures()) {
            ChainAnchor.fromSignature(line).ifPresent(anchors::add);
        }
        return anchors;
    }

    /** This proof with one more anchor line on its checkpoint. */
    public TlogProof withAnchor(ChainAnchor anchor) {
        return new TlogProof(extra, index, inclusionProof, checkpointNote.withSignature(anchor.toSignature()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlogProof p && Arrays.equals(extra, p.extra) && index == p.index
                && Arrays.deepEquals(inclusionProof.toArray(), p.inclusionProof.toArray())
                && checkpointNote.equals(p.checkpointNote);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(extra), index, Arrays.deepHashCode(inclusionProof.toArray()),
                checkpointNote);
    }

    @Override
    public String toString() {
        return format();
    }

    /** The lines of the proof before the checkpoint, numbered from 1. */
    private static final class Lines {

        private final String text;
        private int position;
        private int number;

        Lines(String text) {
            this.text = text;
        }

        String next(String expected) {
            int end = text.indexOf('\n', position);
            if (end < 0) {
                throw new IllegalArgumentException("proof ends after line " + number + ", before " + expected);
            }
            String line = text.substring(position, end);
            position = end + 1;
            number++;
            return line;
        }

        int number() {
            return number;
        }

        /** Everything after the current line. */
        String rest() {
            return text.substring(position);
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("proof line " + number + " " + what);
        }

        IllegalArgumentException error(IllegalArgumentException fieldError) {
            return new IllegalArgumentException("proof line " + number + ": " + fieldError.getMessage(), fieldError);
        }
    }
}
