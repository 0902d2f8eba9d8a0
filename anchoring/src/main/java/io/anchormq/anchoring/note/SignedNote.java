package io.anchormq.anchoring.note;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A C2SP signed note: a text ending in a newline, a blank line, and one or more signature lines. Parsing is strict
 * (valid UTF-8, no control characters but newline, the text ends at the last blank line, every signature line well
 * formed, at most {@value #MAX_SIGNATURES} of them) and {@link #format} gives back the parsed text exactly.
 * Immutable.
 */
public final class SignedNote {

    /** Go's note package stops at 100 too; C2SP asks verifiers to accept at least 16. */
    public static final int MAX_SIGNATURES = 100;

    private final String text;
    private final List<NoteSignature> signatures;

    private SignedNote(String text, List<NoteSignature> signatures) {
        this.text = text;
        this.signatures = List.copyOf(signatures);
    }

    /** Signs {@code text} (which must end in a newline) with each key, one signature line per key, in order. */
    public static SignedNote sign(String text, NoteSigner... signers) {
        checkText(text);
        if (signers.length == 0) {
            throw new IllegalArgumentException("a signed note needs at least one signer");
        }
        byte[] message = text.getBytes(StandardCharsets.UTF_8);
        List<NoteSignature> signatures = new ArrayList<>(signers.length);
        for (NoteSigner signer : signers) {
            signatures.add(new NoteSignature(signer.name(), signer.keyId(), signer.sign(message)));
        }
        return new SignedNote(text, signatures);
    }

    /** Parses a note from its UTF-8 bytes. */
    public static SignedNote parse(byte[] note) {
        try {
            return parse(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(note))
                    .toString());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("note is not valid UTF-8", e);
        }
    }

    /** Parses a note; {@link IllegalArgumentException} says what is malformed and where. */
    public static SignedNote parse(String note) {
        checkCharacters(note, "note");
        int split = note.lastIndexOf("\n\n");
        if (split < 0) {
            throw new IllegalArgumentException("note has no blank line before its signatures");
        }
        String text = note.substring(0, split + 1);
        String block = note.substring(split + 2);
        if (block.isEmpty()) {
            throw new IllegalArgumentException("note has no signature lines after its last blank line");
        }
        if (!block.endsWith("\n")) {
            throw new IllegalArgumentException("note does not end with a newline");
        }
        String[] lines = block.substring(0, block.length() - 1).split("\n", -1);
        if (lines.length > MAX_SIGNATURES) {
            throw new IllegalArgumentException(
                    "note has " + lines.length + " signature lines, more than the " + MAX_SIGNATURES + " accepted");
        }
        List<NoteSignature> signatures = new ArrayList<>(lines.length);
        for (int i = 0; i < lines.length; i++) {
            signatures.add(NoteSignature.parseLine(lines[i], i + 1));
        }
        return new SignedNote(text, signatures);
    }

    /** The signed text, with its final newline. */
    public String text() {
        return text;
    }

    public List<NoteSignature> signatures() {
        return signatures;
    }

    /** This note with one more signature line at the end (a cosignature, or an anchor line). */
    public SignedNote withSignature(NoteSignature signature) {
        if (signatures.size() == MAX_SIGNATURES) {
            throw new IllegalArgumentException("note already has " + MAX_SIGNATURES + " signatures");
        }
        List<NoteSignature> more = new ArrayList<>(signatures);
        more.add(signature);
        return new SignedNote(text, more);
    }

    /**
     * Checks the signatures by {@code known} keys, with the semantics of C2SP signed-note: lines of other keys
     * (another name or key id) are ignored; every line of a known key must verify; at least one must. Returns the
     * keys that signed.
     *
     * @throws SignatureException when a known key's signature fails or none of the known keys signed
     * @throws IllegalArgumentException when two different known keys have the same name and key id
     */
    public List<NoteVerifier> verify(Collection<NoteVerifier> known) throws SignatureException {
        Map<String, NoteVerifier> byLabel = new HashMap<>();
        for (NoteVerifier key : known) {
            NoteVerifier other = byLabel.putIfAbsent(key.keyLabel(), key);
            if (other != null && !other.equals(key)) {
                throw new IllegalArgumentException("two different keys are named " + key.keyLabel());
            }
        }
        byte[] message = text.getBytes(StandardCharsets.UTF_8);
        Set<NoteVerifier> signed = new LinkedHashSet<>();
        for (NoteSignature signature : signatures) {
            NoteVerifier key = byLabel.get(signature.keyLabel());
            if (key == null) {
                continue;
            }
            if (!key.verify(message, signature.signature())) {
                throw new SignatureException("signature by key " + key.keyLabel() + " does not verify");
            }
            signed.add(key);
        }
        if (signed.isEmpty()) {
            throw new SignatureException("no signature by any of the given keys (the note is signed by "
                    + signatures.stream().map(NoteSignature::keyLabel).collect(Collectors.joining(", ")) + ")");
        }
        return List.copyOf(signed);
    }

    /** The note as text: the text, a blank line, the signature lines. */
    public String format() {
        StringBuilder out = new StringBuilder(text).append('\n');
        signatures.forEach(s -> out.append(s.format()));
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedNote n && text.equals(n.text) && signatures.equals(n.signatures);
    }

    @Override
    public int hashCode() {
        return 31 * text.hashCode() + signatures.hashCode();
    }

    @Override
    public String toString() {
        return format();
    }

    private static void checkText(String text) {
        checkCharacters(text, "note text");
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("note text does not end with a newline");
        }
    }

    /** Valid Unicode (so valid UTF-8 once encoded) without control characters other than newline. */
    private static void checkCharacters(String s, String what) {
        int line = 1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                line++;
            } else if (c < 0x20) {
                throw new IllegalArgumentException(String.format(
                        "%s line %d contains the control character U+%04X", what, line, (int) c));
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " line " + line + " contains an unpaired surrogate");
            }
        }
    }
}
