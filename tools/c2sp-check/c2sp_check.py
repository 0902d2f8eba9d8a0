#!/usr/bin/env python3
"""Independent cross-check of a C2SP transparency log's artifacts.

Written from the specifications only (C2SP signed-note, tlog-checkpoint,
tlog-tiles, tlog-proof, merkle-tree; RFC 9162 section 2.1) and from the
documentation of the anchormq log entry / consistency-proof text formats
(anchoring/README.md).  No code of the log under test was read.

Subcommands (exit 0 = verified; 1 = rejected, unreadable input or bad usage,
with the reason on stderr):

  checkpoint  --vkey FILE --checkpoint FILE
  tiles       --dir LOGDIR --vkey FILE [--no-entry-decode]
  proof       --vkey FILE --proof FILE [--payload FILE] [--entry FILE]
  consistency --vkey FILE --old CHECKPOINT --new CHECKPOINT --proof FILE

Requires: Python 3.8+, the `cryptography` package (Ed25519).
"""

import argparse
import base64
import hashlib
import os
import re
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class CheckError(Exception):
    """A verification or parse failure; the message says exactly what."""


# ---------------------------------------------------------------------------
# Encoding helpers (strict: one accepted spelling per value)
# ---------------------------------------------------------------------------

_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_DEC_RE = re.compile(r"0|[1-9][0-9]*")
MAX_U64 = (1 << 64) - 1


def b64_strict(s, what, length=None):
    """Decode RFC 4648 section 4 standard, padded base64; reject any
    non-canonical spelling (bad alphabet, missing padding, non-zero
    trailing bits)."""
    if not _B64_RE.fullmatch(s) or len(s) % 4 != 0:
        raise CheckError("%s: not padded standard base64: %r" % (what, _clip(s)))
    try:
        raw = base64.b64decode(s, validate=True)
    except Exception as e:  # binascii.Error
        raise CheckError("%s: invalid base64 (%s): %r" % (what, e, _clip(s)))
    if base64.b64encode(raw).decode("ascii") != s:
        raise CheckError("%s: non-canonical base64 (re-encodes differently): %r" % (what, _clip(s)))
    if length is not None and len(raw) != length:
        raise CheckError("%s: decodes to %d bytes, expected %d" % (what, len(raw), length))
    return raw


def parse_decimal(s, what, maximum=MAX_U64):
    if not _DEC_RE.fullmatch(s):
        raise CheckError("%s: not an ASCII decimal without leading zeros: %r" % (what, _clip(s)))
    v = int(s)
    if v > maximum:
        raise CheckError("%s: %s exceeds %d" % (what, s, maximum))
    return v


def _clip(s, n=80):
    return s if len(s) <= n else s[:n] + "..."


def b64(b):
    return base64.b64encode(b).decode("ascii")


def read_bytes(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise CheckError("cannot read %s %s: %s" % (what, path, e.strerror or e))


# ---------------------------------------------------------------------------
# signed-note (c2sp.org/signed-note) and Go-note verifier keys
# ---------------------------------------------------------------------------

MAX_SIGNATURES = 100  # spec: SHOULD limit, MUST accept at least 16
EM_DASH = "\u2014"


def valid_key_name(name):
    return name != "" and "+" not in name and not any(c.isspace() for c in name)


def ed25519_key_id(name, pub):
    return hashlib.sha256(name.encode("utf-8") + b"\n" + b"\x01" + pub).digest()[:4]


class Verifier:
    def __init__(self, name, key_id, pub):
        self.name = name
        self.key_id = key_id  # 4 bytes
        self.pub = pub  # 32 bytes
        self.key = Ed25519PublicKey.from_public_bytes(pub)

    def label(self):
        return "%s+%s" % (self.name, self.key_id.hex())


def parse_vkey(text, what="verifier key"):
    """Go note vkey: <name>+<hex8 key id>+<base64(0x01 || 32-byte pubkey)>."""
    if text.endswith("\r\n"):
        raise CheckError("%s: ends with CRLF" % what)
    if text.endswith("\n"):
        text = text[:-1]
    if "\n" in text:
        raise CheckError("%s: more than one line" % what)
    parts = text.split("+", 2)  # name and key id contain no '+'; base64 may
    if len(parts) != 3:
        raise CheckError("%s: expected <name>+<hex key id>+<base64 key>" % what)
    name, hexid, keyb64 = parts
    if not valid_key_name(name):
        raise CheckError("%s: invalid key name %r" % (what, name))
    if not re.fullmatch(r"[0-9a-fA-F]{8}", hexid):
        raise CheckError("%s: key id %r is not 8 hex digits" % (what, hexid))
    key = b64_strict(keyb64, what + " public key")
    if len(key) != 33 or key[0] != 0x01:
        raise CheckError("%s: key must be 0x01 (Ed25519) || 32 bytes; got %d bytes, type 0x%02x"
                         % (what, len(key), key[0] if key else 0))
    pub = key[1:]
    want = ed25519_key_id(name, pub)
    if bytes.fromhex(hexid) != want:
        raise CheckError("%s: key id %s does not match SHA-256(name || 0x0A || 0x01 || key)[:4] = %s"
                         % (what, hexid, want.hex()))
    try:
        return Verifier(name, want, pub)
    except Exception as e:
        raise CheckError("%s: not a valid Ed25519 public key: %s" % (what, e))


def load_vkey(path):
    data = read_bytes(path, "vkey")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CheckError("vkey %s: not UTF-8: %s" % (path, e))
    return parse_vkey(text, "vkey %s" % path)


class SigLine:
    def __init__(self, lineno, name, key_id, sig, raw):
        self.lineno = lineno  # 1-based line number within the note
        self.name = name
        self.key_id = key_id
        self.sig = sig
        self.raw = raw


class SignedNote:
    def __init__(self, text, sigs):
        self.text = text  # includes final newline, excludes separating blank line
        self.sigs = sigs


def parse_signed_note(data, what="note"):
    """Parse per c2sp.org/signed-note 'Format'.  `data` is bytes or str."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CheckError("%s: not valid UTF-8 (%s)" % (what, e))
    for i, ch in enumerate(data):
        if ord(ch) < 0x20 and ch != "\n":
            line = data.count("\n", 0, i) + 1
            raise CheckError("%s: ASCII control character U+%04X at line %d (only newline is allowed)"
                             % (what, ord(ch), line))
    if not data.endswith("\n"):
        raise CheckError("%s: does not end with a newline" % what)
    sep = data.rfind("\n\n")
    if sep < 0:
        raise CheckError("%s: no blank line separating text from signatures" % what)
    text = data[:sep + 1]
    block = data[sep + 2:]
    if text == "" or text == "\n":
        raise CheckError("%s: empty note text" % what)
    if block == "":
        raise CheckError("%s: no signature lines after the last blank line" % what)
    text_lines = text.count("\n")
    lines = block.split("\n")[:-1]  # block ends with "\n"
    if len(lines) > MAX_SIGNATURES:
        raise CheckError("%s: %d signature lines (limit %d)" % (what, len(lines), MAX_SIGNATURES))
    sigs = []
    for j, line in enumerate(lines):
        lineno = text_lines + 2 + j
        if not line.startswith(EM_DASH + " "):
            raise CheckError("%s line %d: signature line does not start with em dash (U+2014) and space: %r"
                             % (what, lineno, _clip(line)))
        rest = line[2:]
        sp = rest.find(" ")
        if sp < 0:
            raise CheckError("%s line %d: signature line has no space between key name and signature"
                             % (what, lineno))
        name, sigb64 = rest[:sp], rest[sp + 1:]
        if not valid_key_name(name):
            raise CheckError("%s line %d: invalid key name %r (empty, or contains space or '+')"
                             % (what, lineno, name))
        raw = b64_strict(sigb64, "%s line %d signature" % (what, lineno))
        if len(raw) < 5:
            raise CheckError("%s line %d: signature decodes to %d bytes; need 4-byte key id + signature"
                             % (what, lineno, len(raw)))
        sigs.append(SigLine(lineno, name, raw[:4], raw[4:], line))
    return SignedNote(text, sigs)


def verify_note(note, verifier, what="note"):
    """Return (verified line numbers, ignored SigLines).  Signatures by unknown
    keys (name or id differs) are ignored; a known key whose signature does
    not verify rejects the note; at least one known signature must verify."""
    ok, ignored = [], []
    msg = note.text.encode("utf-8")
    for s in note.sigs:
        if s.name == verifier.name and s.key_id == verifier.key_id:
            if len(s.sig) != 64:
                raise CheckError("%s line %d: signature by known key %s is %d bytes, Ed25519 needs 64"
                                 % (what, s.lineno, verifier.label(), len(s.sig)))
            try:
                verifier.key.verify(s.sig, msg)
            except InvalidSignature:
                raise CheckError("%s line %d: Ed25519 signature by known key %s does not verify over the note text"
                                 % (what, s.lineno, verifier.label()))
            ok.append(s.lineno)
        else:
            ignored.append(s)
    if not ok:
        present = ", ".join("%s+%s" % (s.name, s.key_id.hex()) for s in note.sigs)
        raise CheckError("%s: no signature by the known key %s (signature lines present: %s)"
                         % (what, verifier.label(), present or "none"))
    return ok, ignored


# ---------------------------------------------------------------------------
# tlog-checkpoint
# ---------------------------------------------------------------------------

class Checkpoint:
    def __init__(self, origin, size, root, extensions, note):
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
        self.note = note
        self.verified_lines = []
        self.ignored = []
        self.warnings = []


def parse_checkpoint_text(text, what="checkpoint"):
    lines = text[:-1].split("\n")  # text ends with "\n"
    if len(lines) < 3:
        raise CheckError("%s: note text has %d lines; need origin, tree size, root hash" % (what, len(lines)))
    for i, l in enumerate(lines):
        if l == "":
            raise CheckError("%s: note text line %d is empty" % (what, i + 1))
    origin = lines[0]
    size = parse_decimal(lines[1], "%s line 2 (tree size)" % what)
    root = b64_strict(lines[2], "%s line 3 (root hash)" % what, 32)
    return origin, size, root, lines[3:]


def verify_checkpoint(data, verifier, what="checkpoint"):
    note = parse_signed_note(data, what)
    origin, size, root, ext = parse_checkpoint_text(note.text, what)
    cp = Checkpoint(origin, size, root, ext, note)
    cp.verified_lines, cp.ignored = verify_note(note, verifier, what)
    if verifier.name != origin:
        cp.warnings.append("%s: log key name %r does not match origin %r (tlog-checkpoint: "
                           "\"The log's key name in its signature line SHOULD match the origin line.\")"
                           % (what, verifier.name, origin))
    return cp


def describe_checkpoint(cp, out):
    out.append("origin: %s" % cp.origin)
    out.append("size:   %d" % cp.size)
    out.append("root:   %s (hex %s)" % (b64(cp.root), cp.root.hex()))
    for e in cp.extensions:
        out.append("extension line: %s" % e)
    out.append("signature: line(s) %s verified by known key; %d other signature line(s) ignored%s"
               % (",".join(map(str, cp.verified_lines)), len(cp.ignored),
                  (" (" + ", ".join("%s+%s" % (s.name, s.key_id.hex()) for s in cp.ignored) + ")")
                  if cp.ignored else ""))
    for w in cp.warnings:
        out.append("WARNING " + w)


# ---------------------------------------------------------------------------
# Merkle tree (RFC 9162 section 2.1 / c2sp.org/merkle-tree)
# ---------------------------------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n):
    """Largest power of two strictly smaller than n (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def mth(hashes, lo=0, hi=None):
    """Merkle Tree Hash over leaf hashes[lo:hi]."""
    if hi is None:
        hi = len(hashes)
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[lo]
    k = split_point(n)
    return node_hash(mth(hashes, lo, lo + k), mth(hashes, lo + k, hi))


def inclusion_path(hashes, m, lo=0, hi=None):
    """PATH(m, D[lo:hi]) over leaf hashes."""
    if hi is None:
        hi = len(hashes)
    n = hi - lo
    if n <= 1:
        return []
    k = split_point(n)
    if m < k:
        return inclusion_path(hashes, m, lo, lo + k) + [mth(hashes, lo + k, hi)]
    return inclusion_path(hashes, m - k, lo + k, hi) + [mth(hashes, lo, lo + k)]


def consistency_proof(hashes, m, n=None):
    """PROOF(m, D[n]) over leaf hashes (empty for m == 0 or m == n)."""
    if n is None:
        n = len(hashes)
    if m == 0 or m == n:
        return []

    def sub(m, lo, hi, b):
        n = hi - lo
        if m == n:
            return [] if b else [mth(hashes, lo, hi)]
        k = split_point(n)
        if m <= k:
            return sub(m, lo, lo + k, b) + [mth(hashes, lo + k, hi)]
        return sub(m - k, lo + k, hi, False) + [mth(hashes, lo, lo + k)]

    return sub(m, 0, n, True)


def verify_inclusion(leaf, index, size, proof, root):
    """c2sp.org/merkle-tree 'Inclusion proofs / Verification' (= RFC 9162
    2.1.3.2).  `leaf` is the leaf hash.  Raises CheckError."""
    if index >= size:
        raise CheckError("inclusion: index %d is not below tree size %d" % (index, size))
    fn, sn, h = index, size - 1, leaf
    for i, p in enumerate(proof):
        if sn == 0:
            raise CheckError("inclusion: too many proof hashes (%d given, %d used)" % (len(proof), i))
        if fn & 1 or fn == sn:
            h = node_hash(p, h)
            while not (fn & 1) and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            h = node_hash(h, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise CheckError("inclusion: not enough proof hashes (%d given)" % len(proof))
    if h != root:
        raise CheckError("inclusion: computed root %s != checkpoint root %s" % (b64(h), b64(root)))


def verify_consistency(m, r1, n, r2, proof):
    """c2sp.org/merkle-tree 'Consistency proofs / Verification' (= RFC 9162
    2.1.4.2).  Raises CheckError."""
    if m > n:
        raise CheckError("consistency: old size %d > new size %d" % (m, n))
    if m == n:
        if proof:
            raise CheckError("consistency: sizes are equal (%d) but the proof has %d hashes (must be empty)"
                             % (m, len(proof)))
        if r1 != r2:
            raise CheckError("consistency: sizes are equal (%d) but roots differ: %s vs %s" % (m, b64(r1), b64(r2)))
        return
    if m == 0:
        if proof:
            raise CheckError("consistency: old size is 0 but the proof has %d hashes (must be empty)" % len(proof))
        return
    if not proof:
        raise CheckError("consistency: empty proof for %d -> %d" % (m, n))
    p = list(proof)
    if m & (m - 1) == 0:
        p = [r1] + p
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = p[0]
    for i, c in enumerate(p[1:]):
        if sn == 0:
            raise CheckError("consistency: too many proof hashes (%d given)" % len(proof))
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not (fn & 1) and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise CheckError("consistency: not enough proof hashes (%d given)" % len(proof))
    if fr != r1:
        raise CheckError("consistency: reconstructed old root %s != old checkpoint root %s" % (b64(fr), b64(r1)))
    if sr != r2:
        raise CheckError("consistency: reconstructed new root %s != new checkpoint root %s" % (b64(sr), b64(r2)))


# ---------------------------------------------------------------------------
# anchormq log entry v1 (README "Log entry (entry.LogEntry, v1)")
# ---------------------------------------------------------------------------

def decode_log_entry(b):
    """Decode per the documented big-endian layout; raise CheckError naming
    the field on any problem."""
    pos = 0
    out = {}

    def take(n, field):
        nonlocal pos
        if pos + n > len(b):
            raise CheckError("log entry: truncated in field %s (need %d bytes at offset %d, have %d)"
                             % (field, n, pos, len(b) - pos))
        v = b[pos:pos + n]
        pos += n
        return v

    def string(field):
        (ln,) = struct.unpack(">H", take(2, field + " length"))
        raw = take(ln, field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CheckError("log entry: field %s is not valid UTF-8 (%s)" % (field, e))

    if len(b) > 65535:
        raise CheckError("log entry: %d bytes exceeds 65535" % len(b))
    version = take(1, "version")[0]
    if version != 1:
        raise CheckError("log entry: unknown version 0x%02x (expected 0x01)" % version)
    out["version"] = version
    out["workspace"] = string("workspace")
    out["client_id"] = string("client id")
    out["topic"] = string("topic")
    qos = take(1, "qos")[0]
    if qos > 2:
        raise CheckError("log entry: qos %d is above 2" % qos)
    out["qos"] = qos
    out["payload_sha256"] = take(32, "payload")
    (out["receive_time_us"],) = struct.unpack(">q", take(8, "receive time"))
    out["salt"] = take(16, "salt")
    (out["sequence"],) = struct.unpack(">Q", take(8, "sequence"))
    if pos != len(b):
        raise CheckError("log entry: %d trailing bytes after field sequence" % (len(b) - pos))
    return out


def format_log_entry(e):
    import datetime
    t = e["receive_time_us"]
    try:
        ts = (datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
              + datetime.timedelta(microseconds=t)).isoformat()
    except OverflowError:
        ts = "out of range"
    return [
        "entry.version:        %d" % e["version"],
        "entry.workspace:      %r" % e["workspace"],
        "entry.client_id:      %r" % e["client_id"],
        "entry.topic:          %r" % e["topic"],
        "entry.qos:            %d" % e["qos"],
        "entry.payload_sha256: %s" % e["payload_sha256"].hex(),
        "entry.receive_time:   %d us (%s)" % (t, ts),
        "entry.salt:           %s" % e["salt"].hex(),
        "entry.sequence:       %d" % e["sequence"],
    ]


# ---------------------------------------------------------------------------
# tlog-tiles
# ---------------------------------------------------------------------------

TILE_W = 256
HASH = 32


def encode_tile_index(n):
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(("x" if i < len(groups) - 1 else "") + "%03d" % g for i, g in enumerate(groups))


def tile_relpath(level, n, width=None):
    """level: int or 'entries'.  width None or 256 -> full tile."""
    p = "tile/%s/%s" % (level, encode_tile_index(n))
    if width is not None and width != TILE_W:
        p += ".p/%d" % width
    return p


_TILE_RE = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([0-9]+))?")


def parse_tile_relpath(rel):
    """Return (level, n, width) with level int or 'entries', width 256 for full;
    raise CheckError with the reason if the path is not a valid tile path."""
    m = _TILE_RE.fullmatch(rel)
    if not m:
        raise CheckError("not a tlog-tiles path")
    lv, idx, w = m.groups()
    level = lv if lv == "entries" else int(lv)
    if level != "entries" and level > 63:
        raise CheckError("level %d is above 63" % level)
    n = int(idx.replace("x", "").replace("/", ""))
    if encode_tile_index(n) != idx:
        raise CheckError("index %r is not the canonical encoding of %d (%s)" % (idx, n, encode_tile_index(n)))
    width = TILE_W
    if w is not None:
        if not re.fullmatch(r"[1-9][0-9]*", w) or not (1 <= int(w) <= 255):
            raise CheckError("partial width %r is not a decimal between 1 and 255 without leading zeros"
                             " (tlog-tiles: \"Empty tiles MUST NOT be served.\" / \"<W> ... between 1 and 255\")" % w)
        width = int(w)
    return level, n, width


def parse_bundle(data, what):
    entries = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise CheckError("%s: truncated length prefix at offset %d" % (what, pos))
        (ln,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        if pos + ln > len(data):
            raise CheckError("%s: entry %d claims %d bytes at offset %d but only %d remain"
                             % (what, len(entries), ln, pos, len(data) - pos))
        entries.append(data[pos:pos + ln])
        pos += ln
    return entries


def perfect_root(hs):
    """Root of a perfect tree over len(hs) (a power of two) hashes."""
    while len(hs) > 1:
        hs = [node_hash(hs[i], hs[i + 1]) for i in range(0, len(hs), 2)]
    return hs[0]


def check_tiles(logdir, verifier, decode_entries=True):
    """Return (info lines, warnings, errors, context dict)."""
    info, warns, errs = [], [], []
    ctx = {}
    cp_path = os.path.join(logdir, "checkpoint")
    cp = verify_checkpoint(read_bytes(cp_path, "checkpoint"), verifier, "checkpoint %s" % cp_path)
    describe_checkpoint(cp, info)
    warns.extend(cp.warnings)
    N = cp.size
    ctx["checkpoint"] = cp

    # Inventory every file under tile/.
    files = {}  # (level, n, width) -> relpath
    tile_root = os.path.join(logdir, "tile")
    others = []
    if os.path.isdir(tile_root):
        for dirpath, dirnames, filenames in os.walk(tile_root):
            dirnames.sort()
            for fn in sorted(filenames):
                rel = os.path.relpath(os.path.join(dirpath, fn), logdir).replace(os.sep, "/")
                try:
                    key = parse_tile_relpath(rel)
                except CheckError as e:
                    errs.append("file %s: %s" % (rel, e))
                    continue
                files[key] = rel
    for fn in sorted(os.listdir(logdir)):
        if fn not in ("checkpoint", "tile"):
            others.append(fn)
    if others:
        info.append("non-tlog-tiles entries at the log root (not checked): %s" % ", ".join(others))
    info.append("files under tile/: %d" % len(files))

    def read_tile(key):
        return read_bytes(os.path.join(logdir, files[key]), "tile")

    # 1. Entry bundles -> entries and leaf hashes (the reference data).
    full0, part0 = divmod(N, TILE_W)
    entries = []
    bundles_ok = True
    for n in range(full0 + (1 if part0 else 0)):
        w = TILE_W if n < full0 else part0
        key = ("entries", n, w)
        rel = tile_relpath("entries", n, w)
        if key not in files:
            errs.append("missing entry bundle %s (required by checkpoint size %d)" % (rel, N))
            bundles_ok = False
            break
        try:
            es = parse_bundle(read_tile(key), "entry bundle " + rel)
        except CheckError as e:
            errs.append(str(e))
            bundles_ok = False
            break
        if len(es) != w:
            errs.append("entry bundle %s holds %d entries, expected %d" % (rel, len(es), w))
            bundles_ok = False
            break
        entries.extend(es)
    leaves = [leaf_hash(e) for e in entries] if bundles_ok else None
    ctx["entries"] = entries if bundles_ok else None
    ctx["leaves"] = leaves
    if bundles_ok:
        r = mth(leaves)
        if r == cp.root:
            info.append("root from entry bundles (%d entries): matches checkpoint" % N)
        else:
            errs.append("root recomputed from entry bundles = %s, checkpoint root = %s" % (b64(r), b64(cp.root)))

    # 2. Level-0 tiles -> leaf hashes; compare to bundles; root.
    tile0 = []
    tiles0_ok = True
    for n in range(full0 + (1 if part0 else 0)):
        w = TILE_W if n < full0 else part0
        key = (0, n, w)
        rel = tile_relpath(0, n, w)
        if key not in files:
            errs.append("missing level-0 tile %s (required by checkpoint size %d)" % (rel, N))
            tiles0_ok = False
            break
        data = read_tile(key)
        if len(data) != w * HASH:
            errs.append("level-0 tile %s is %d bytes, expected %d (%d hashes)" % (rel, len(data), w * HASH, w))
            tiles0_ok = False
            break
        tile0.extend(data[i:i + HASH] for i in range(0, len(data), HASH))
    if tiles0_ok:
        r = mth(tile0)
        if r == cp.root:
            info.append("root from level-0 tiles: matches checkpoint")
        else:
            errs.append("root recomputed from level-0 tiles = %s, checkpoint root = %s" % (b64(r), b64(cp.root)))
        if bundles_ok:
            bad = [i for i in range(N) if tile0[i] != leaves[i]]
            if bad:
                errs.append("level-0 tile hashes differ from SHA-256(0x00 || entry) of the bundles at %d leaf index(es): %s"
                            % (len(bad), _idxlist(bad)))
            else:
                info.append("level-0 tiles hold exactly the leaf hashes of the bundles (%d)" % N)

    # 3. Expected hashes at every level, derived from the reference leaves
    #    (bundles if good, else level-0 tiles).
    ref = leaves if bundles_ok else (tile0 if tiles0_ok else None)
    levels = []  # levels[l][j] = MTH of D[j*256**l : (j+1)*256**l]
    if ref is not None:
        levels.append(ref)
        while len(levels[-1]) >= TILE_W:
            prev = levels[-1]
            levels.append([perfect_root(prev[j * TILE_W:(j + 1) * TILE_W]) for j in range(len(prev) // TILE_W)])
    ctx["levels"] = levels
    maxlevel = 0
    while N // (TILE_W ** (maxlevel + 1)) > 0:
        maxlevel += 1
    # maxlevel = highest level with at least one hash (N >= 256**maxlevel), N > 0

    # 3a. Required tiles at level >= 1.
    if N > 0:
        for L in range(1, maxlevel + 1):
            count = N // TILE_W ** L
            full, part = divmod(count, TILE_W)
            for n in range(full + (1 if part else 0)):
                w = TILE_W if n < full else part
                if (L, n, w) not in files:
                    errs.append("missing level-%d tile %s (required by checkpoint size %d)" % (L, tile_relpath(L, n, w), N))

    # 3b. Every tile file present: content vs expected; covered by checkpoint?
    checked = 0
    for key in sorted(files, key=lambda k: (str(k[0]), k[1], k[2])):
        level, n, w = key
        rel = files[key]
        L = 0 if level == "entries" else level
        first = n * TILE_W  # first hash index at level L
        last = first + w  # exclusive
        if last * TILE_W ** L > N:
            warns.append("%s covers hashes up to leaf index %d, beyond checkpoint size %d: not verifiable "
                         "against this checkpoint" % (rel, last * TILE_W ** L, N))
            continue
        if ref is None:
            continue
        data = read_tile(key)
        if level == "entries":
            try:
                es = parse_bundle(data, "entry bundle " + rel)
            except CheckError as e:
                errs.append(str(e))
                continue
            if len(es) != w:
                errs.append("entry bundle %s holds %d entries, expected %d" % (rel, len(es), w))
                continue
            bad = [first + i for i in range(w) if leaf_hash(es[i]) != ref[first + i]]
            if bad:
                errs.append("entry bundle %s: entries differ from the tree at leaf index(es) %s" % (rel, _idxlist(bad)))
            checked += 1
            continue
        if len(data) != w * HASH:
            errs.append("tile %s is %d bytes, expected %d (%d hashes)" % (rel, len(data), w * HASH, w))
            continue
        got = [data[i:i + HASH] for i in range(0, len(data), HASH)]
        exp = levels[L][first:last]
        bad = [first + i for i in range(w) if got[i] != exp[i]]
        if bad:
            errs.append("tile %s: hash(es) at level-%d index %s differ from MTH of the corresponding %d leaves"
                        % (rel, L, _idxlist(bad), TILE_W ** L))
        checked += 1
        # Tile-only consistency: each level-L hash = root of the full tile below.
        if L >= 1:
            for i in range(w):
                below = (L - 1, first + i, TILE_W)
                if below in files:
                    bd = read_tile(below)
                    if len(bd) == TILE_W * HASH:
                        r = perfect_root([bd[k:k + HASH] for k in range(0, len(bd), HASH)])
                        if r != got[i]:
                            errs.append("tile %s hash %d != Merkle root of full tile %s"
                                        % (rel, i, files[below]))
                else:
                    errs.append("tile %s hash %d: full tile %s below it is missing"
                                % (rel, i, tile_relpath(L - 1, first + i)))
    info.append("tile files compared with recomputed hashes: %d" % checked)

    # 4. Root the way a tiles client computes it: largest available tile hashes.
    if N > 0 and tiles0_ok:
        cache = {}

        def tile_hash(L, j):
            full_n, i = divmod(j, TILE_W)
            for w in [TILE_W] + list(range(i + 1, TILE_W)):
                k = (L, full_n, w)
                if k in files:
                    if k not in cache:
                        cache[k] = read_tile(k)
                    d = cache[k]
                    if len(d) >= (i + 1) * HASH:
                        return d[i * HASH:(i + 1) * HASH]
            return None

        def client_hash(lo, hi):
            size = hi - lo
            L = 0
            while TILE_W ** (L + 1) <= size:
                L += 1
            if size == TILE_W ** L and lo % size == 0:
                h = tile_hash(L, lo // size)
                if h is not None:
                    return h
            if size == 1:
                return tile0[lo]
            k = split_point(size)
            return node_hash(client_hash(lo, lo + k), client_hash(lo + k, hi))

        r = client_hash(0, N)
        if r == cp.root:
            info.append("root from highest-level tiles (client-style): matches checkpoint")
        else:
            errs.append("root from highest-level tiles = %s, checkpoint root = %s" % (b64(r), b64(cp.root)))
    elif N == 0:
        if cp.root != EMPTY_ROOT:
            errs.append("checkpoint size 0 but root %s != SHA-256(\"\") %s" % (b64(cp.root), b64(EMPTY_ROOT)))
        else:
            info.append("empty tree: root is SHA-256(\"\") as required")
        if files:
            errs.append("checkpoint size 0 but %d tile file(s) exist" % len(files))

    # 5. Application layer: decode every entry as an anchormq LogEntry v1.
    if decode_entries and bundles_ok and N > 0:
        derr = []
        workspaces = set()
        for i, e in enumerate(entries):
            try:
                d = decode_log_entry(e)
            except CheckError as ex:
                derr.append("leaf %d: %s" % (i, ex))
                continue
            workspaces.add(d["workspace"])
            if d["sequence"] != i:
                derr.append("leaf %d: entry.sequence is %d, expected its leaf index %d" % (i, d["sequence"], i))
        if derr:
            errs.append("anchormq LogEntry v1 decode: %d problem(s): %s" % (len(derr), "; ".join(derr[:10])
                                                                           + ("; ..." if len(derr) > 10 else "")))
        else:
            info.append("all %d entries decode as anchormq LogEntry v1 with sequence == leaf index; workspaces: %s"
                        % (N, ", ".join(sorted(map(repr, workspaces)))))
    return info, warns, errs, ctx


def _idxlist(xs, limit=20):
    s = ", ".join(map(str, xs[:limit]))
    return s + (", ... (%d total)" % len(xs) if len(xs) > limit else "")


# ---------------------------------------------------------------------------
# tlog-proof
# ---------------------------------------------------------------------------

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class TlogProof:
    def __init__(self, extra, index, hashes, checkpoint_text):
        self.extra = extra  # bytes or None
        self.index = index
        self.hashes = hashes
        self.checkpoint_text = checkpoint_text


def parse_tlog_proof(data, what="proof"):
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CheckError("%s: not valid UTF-8 (%s)" % (what, e))
    pos = 0
    lineno = 0

    def next_line():
        nonlocal pos, lineno
        nl = data.find("\n", pos)
        if nl < 0:
            raise CheckError("%s: unexpected end of file after line %d (missing newline)" % (what, lineno))
        line = data[pos:nl]
        pos = nl + 1
        lineno += 1
        return line

    line = next_line()
    if line != PROOF_HEADER:
        raise CheckError("%s line 1: expected %r, got %r" % (what, PROOF_HEADER, _clip(line)))
    line = next_line()
    extra = None
    if line.startswith("extra"):
        if not line.startswith("extra "):
            raise CheckError("%s line %d: 'extra' not followed by a single space: %r" % (what, lineno, _clip(line)))
        extra = b64_strict(line[len("extra "):], "%s line %d (extra)" % (what, lineno))
        line = next_line()
    m = re.fullmatch(r"index (0|[1-9][0-9]*)", line)
    if not m:
        raise CheckError("%s line %d: expected 'index N' (decimal, no leading zeros), got %r"
                         % (what, lineno, _clip(line)))
    index = parse_decimal(m.group(1), "%s line %d (index)" % (what, lineno))
    hashes = []
    while True:
        line = next_line()
        if line == "":
            break
        hashes.append(b64_strict(line, "%s line %d (inclusion proof hash %d)" % (what, lineno, len(hashes))
                                 , 32))
        if len(hashes) > 64:
            raise CheckError("%s: more than 64 inclusion proof hashes" % what)
    return TlogProof(extra, index, hashes, data[pos:]), lineno


# ---------------------------------------------------------------------------
# Consistency proof text (README "Consistency proof")
# ---------------------------------------------------------------------------

def parse_consistency_text(data, what="consistency proof"):
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as e:
        raise CheckError("%s: not ASCII (%s)" % (what, e))
    warns = []
    if text == "":
        return [], warns
    lines = text.split("\n")
    if lines[-1] == "":
        lines = lines[:-1]
    else:
        warns.append("%s: last line is not terminated by a newline" % what)
    hashes = []
    for i, l in enumerate(lines):
        if l == "":
            raise CheckError("%s line %d: empty line" % (what, i + 1))
        hashes.append(b64_strict(l, "%s line %d" % (what, i + 1), 32))
    return hashes, warns


# ---------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------

def cmd_checkpoint(args):
    v = load_vkey(args.vkey)
    cp = verify_checkpoint(read_bytes(args.checkpoint, "checkpoint"), v, "checkpoint")
    out = ["OK checkpoint verified with %s" % v.label()]
    describe_checkpoint(cp, out)
    return out


def cmd_tiles(args):
    v = load_vkey(args.vkey)
    info, warns, errs, _ = check_tiles(args.dir, v, not args.no_entry_decode)
    out = list(info) + ["WARNING " + w for w in warns]
    if errs:
        raise CheckError("tiles %s: %d problem(s):\n  " % (args.dir, len(errs)) + "\n  ".join(errs)
                         + "\n(details)\n  " + "\n  ".join(out))
    return ["OK tiles %s verified with %s" % (args.dir, v.label())] + out


def check_proof(proof_bytes, verifier, payload=None, entry=None):
    out = []
    pf, nlines = parse_tlog_proof(proof_bytes, "proof")
    cp = verify_checkpoint(pf.checkpoint_text, verifier, "proof checkpoint (after line %d)" % nlines)
    if entry is not None:
        if pf.extra is not None and pf.extra != entry:
            raise CheckError("proof: --entry bytes differ from the proof's extra data")
        ebytes = entry
    elif pf.extra is not None:
        ebytes = pf.extra
    else:
        raise CheckError("proof: no 'extra' line and no --entry given: cannot compute the leaf hash")
    lh = leaf_hash(ebytes)
    verify_inclusion(lh, pf.index, cp.size, pf.hashes, cp.root)
    out.append("OK inclusion of leaf %d (leaf hash %s, %d proof hashes) in tree of size %d verified with %s"
               % (pf.index, lh.hex(), len(pf.hashes), cp.size, verifier.label()))
    describe_checkpoint(cp, out)
    out.extend(describe_anchor_lines(cp.ignored))
    try:
        e = decode_log_entry(ebytes)
    except CheckError as ex:
        if payload is not None:
            raise
        out.append("NOTE extra data is not an anchormq LogEntry v1 (%s)" % ex)
        return out, cp, pf
    out.extend(format_log_entry(e))
    if e["sequence"] != pf.index:
        raise CheckError("proof: entry.sequence %d != proof index %d (README: sequence is the entry's leaf index)"
                         % (e["sequence"], pf.index))
    if payload is not None:
        ph = hashlib.sha256(payload).digest()
        if ph != e["payload_sha256"]:
            raise CheckError("proof: SHA-256 of --payload is %s but the entry records %s"
                             % (ph.hex(), e["payload_sha256"].hex()))
        out.append("OK payload SHA-256 %s matches entry.payload" % ph.hex())
    return out, cp, pf


ANCHOR_TYPE_ID = b"\xffanchormq/eth-anchor/v1"


def describe_anchor_lines(ignored):
    """Informational decoding of anchormq 'eip155:' anchor lines (README
    "Anchor line").  They are ignored for verification as unknown keys; this
    only reports their content and whether their key id follows the
    documented formula.  Never raises."""
    out = []
    for s in ignored:
        if not s.name.startswith("eip155:"):
            continue
        want = hashlib.sha256(s.name.encode("utf-8") + b"\n" + ANCHOR_TYPE_ID).digest()[:4]
        idnote = "key id %s %s" % (s.key_id.hex(), "matches SHA-256(name||0x0A||0xFF||\"anchormq/eth-anchor/v1\")[:4]"
                                   if s.key_id == want else "does NOT match the documented formula (%s)" % want.hex())
        if len(s.sig) == 44:
            tx, blk, li = s.sig[:32], struct.unpack(">Q", s.sig[32:40])[0], struct.unpack(">I", s.sig[40:44])[0]
            out.append("anchor line %d (ignored for verification, unverified claim): %s tx=0x%s block=%d logIndex=%d; %s"
                       % (s.lineno, s.name, tx.hex(), blk, li, idnote))
        else:
            out.append("anchor line %d (ignored): %s: payload is %d bytes, documented layout is 44; %s"
                       % (s.lineno, s.name, len(s.sig), idnote))
    return out


def cmd_proof(args):
    v = load_vkey(args.vkey)
    payload = read_bytes(args.payload, "payload") if args.payload else None
    entry = read_bytes(args.entry, "entry") if args.entry else None
    out, _, _ = check_proof(read_bytes(args.proof, "proof"), v, payload, entry)
    return out


def check_consistency(vkey, old_bytes, new_bytes, proof_bytes):
    old = verify_checkpoint(old_bytes, vkey, "old checkpoint")
    new = verify_checkpoint(new_bytes, vkey, "new checkpoint")
    if old.origin != new.origin:
        raise CheckError("consistency: origins differ: old %r, new %r" % (old.origin, new.origin))
    hashes, warns = parse_consistency_text(proof_bytes)
    verify_consistency(old.size, old.root, new.size, new.root, hashes)
    out = ["OK consistency %d -> %d (%d proof hashes) for origin %s verified with %s"
           % (old.size, new.size, len(hashes), old.origin, vkey.label())]
    out.append("old root: %s" % b64(old.root))
    out.append("new root: %s" % b64(new.root))
    out.extend("WARNING " + w for w in warns + old.warnings + new.warnings)
    return out


def cmd_consistency(args):
    v = load_vkey(args.vkey)
    return check_consistency(v, read_bytes(args.old, "old checkpoint"), read_bytes(args.new, "new checkpoint"),
                             read_bytes(args.proof, "consistency proof"))


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print("FAIL usage: %s" % message, file=sys.stderr)
        sys.exit(1)


def main(argv=None):
    ap = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    p = sub.add_parser("checkpoint", help="verify a signed checkpoint")
    p.add_argument("--vkey", required=True)
    p.add_argument("--checkpoint", required=True)
    p.set_defaults(fn=cmd_checkpoint)
    p = sub.add_parser("tiles", help="verify a tlog-tiles directory")
    p.add_argument("--dir", required=True)
    p.add_argument("--vkey", required=True)
    p.add_argument("--no-entry-decode", action="store_true",
                   help="do not decode entries as anchormq LogEntry v1")
    p.set_defaults(fn=cmd_tiles)
    p = sub.add_parser("proof", help="verify a c2sp.org/tlog-proof@v1 file")
    p.add_argument("--vkey", required=True)
    p.add_argument("--proof", required=True)
    p.add_argument("--payload", help="message payload whose SHA-256 must be in the entry")
    p.add_argument("--entry", help="raw log entry bytes (needed if the proof has no extra line)")
    p.set_defaults(fn=cmd_proof)
    p = sub.add_parser("consistency", help="verify a consistency proof between two checkpoints")
    p.add_argument("--vkey", required=True)
    p.add_argument("--old", required=True)
    p.add_argument("--new", required=True)
    p.add_argument("--proof", required=True)
    p.set_defaults(fn=cmd_consistency)
    args = ap.parse_args(argv)
    try:
        out = args.fn(args)
    except CheckError as e:
        print("FAIL %s: %s" % (args.cmd, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("FAIL %s: I/O error: %s" % (args.cmd, e), file=sys.stderr)
        return 1
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
