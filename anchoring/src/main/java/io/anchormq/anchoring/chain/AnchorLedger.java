package io.anchormq.anchoring.chain;

import io.anchormq.anchoring.merkle.Sha256Hash;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import org.web3j.utils.Numeric;

/**
 * What the journal says, in memory: the confirmed anchors (read from any thread), the deployed contract, and the
 * unresolved transactions by nonce (anchorer thread only). Built by replaying the journal and kept current by
 * applying each entry after it is appended, so the state after a restart is the state before it.
 * {@link #apply} refuses an entry that breaks the nonce rules: a nonce is never reused for a different anchor.
 */
final class AnchorLedger {

    private final ConcurrentHashMap<String, ConcurrentSkipListMap<Long, AnchorReceipt>> anchors =
            new ConcurrentHashMap<>();
    /** Unresolved nonces, ascending, with their signed attempts (more than one after a fee bump), oldest first. */
    private final NavigableMap<Long, List<JournalEntry.Signed>> unresolved = new TreeMap<>();
    private volatile String deployedContract;
    private volatile long deployBlock = -1;
    private long chainId = -1;
    private String sender;
    private long highestNonce = -1;

    /** Checks {@code entry} against the rules and takes it in. */
    void apply(JournalEntry entry) {
        if (entry instanceof JournalEntry.Signed signed) {
            applySigned(signed);
        } else if (entry instanceof JournalEntry.Resolution resolution) {
            applyResolution(resolution);
        }
    }

    /** Throws when {@link #apply} would refuse {@code entry}, changing nothing. */
    void check(JournalEntry entry) {
        if (entry instanceof JournalEntry.Signed signed) {
            checkSigned(signed);
        } else {
            attemptsOf(entry);
        }
    }

    private void applySigned(JournalEntry.Signed signed) {
        checkSigned(signed);
        chainId = signed.chainId();
        sender = signed.from();
        highestNonce = Math.max(highestNonce, signed.nonce());
        unresolved.computeIfAbsent(signed.nonce(), n -> new ArrayList<>()).add(signed);
    }

    private void checkSigned(JournalEntry.Signed signed) {
        if (chainId >= 0 && signed.chainId() != chainId) {
            throw new IllegalStateException("transaction for chain " + signed.chainId() + " in a journal of chain "
                    + chainId);
        }
        if (sender != null && !sender.equalsIgnoreCase(signed.from())) {
            throw new IllegalStateException("transaction from " + signed.from() + " in a journal of sender "
                    + sender);
        }
        List<JournalEntry.Signed> attempts = unresolved.get(signed.nonce());
        if (attempts == null) {
            if (signed.nonce() <= highestNonce) {
                throw new IllegalStateException("nonce " + signed.nonce() + " signed again after nonce "
                        + highestNonce + " (nonces only grow)");
            }
            return;
        }
        JournalEntry.Signed first = attempts.get(0);
        boolean sameThing = first instanceof JournalEntry.AnchorSigned a && signed instanceof JournalEntry.AnchorSigned b
                ? a.sameAnchor(b)
                : first instanceof JournalEntry.DeploySigned && signed instanceof JournalEntry.DeploySigned
                        && first.contract().equals(signed.contract());
        if (!sameThing) {
            throw new IllegalStateException("nonce " + signed.nonce() + " reused for a different transaction: "
                    + describe(first) + " then " + describe(signed));
        }
    }

    private void applyResolution(JournalEntry.Resolution resolution) {
        attemptsOf(resolution);
        unresolved.remove(resolution.nonce());
        if (resolution instanceof JournalEntry.Anchored a) {
            AnchorReceipt anchor = new AnchorReceipt(a.origin(), Sha256Hash.of(Numeric.hexStringToByteArray(a.root()),
                    "root"), a.treeSize(), a.chainId(), a.contract(), a.txHash(), a.blockNumber(), a.logIndex());
            anchors.computeIfAbsent(a.origin(), o -> new ConcurrentSkipListMap<>()).put(a.treeSize(), anchor);
        } else if (resolution instanceof JournalEntry.Deployed d) {
            deployBlock = d.blockNumber();
            deployedContract = d.contract();
        }
    }

    /** The attempts {@code entry} resolves; throws when it resolves nothing or names a transaction not ours. */
    private List<JournalEntry.Signed> attemptsOf(JournalEntry entry) {
        List<JournalEntry.Signed> attempts = unresolved.get(entry.nonce());
        if (attempts == null) {
            throw new IllegalStateException("resolves nonce " + entry.nonce() + ", which has no unresolved "
                    + "transaction");
        }
        String txHash = entry instanceof JournalEntry.Anchored a ? a.txHash()
                : entry instanceof JournalEntry.Deployed d ? d.txHash()
                : entry instanceof JournalEntry.Reverted r ? r.txHash()
                : null;
        if (txHash != null && attempts.stream().noneMatch(s -> s.txHash().equalsIgnoreCase(txHash))) {
            throw new IllegalStateException("resolves nonce " + entry.nonce() + " with transaction " + txHash
                    + ", which was never signed for it");
        }
        boolean deploy = attempts.get(0) instanceof JournalEntry.DeploySigned;
        if (entry instanceof JournalEntry.Anchored && deploy || entry instanceof JournalEntry.Deployed && !deploy) {
            throw new IllegalStateException("resolves nonce " + entry.nonce() + " with a " + kind(entry)
                    + " entry, but that nonce was signed for a " + (deploy ? "deployment" : "anchor"));
        }
        return attempts;
    }

    OptionalLong chainId() {
        return chainId < 0 ? OptionalLong.empty() : OptionalLong.of(chainId);
    }

    Optional<String> sender() {
        return Optional.ofNullable(sender);
    }

    /** Highest nonce ever signed, -1 when none: the next transaction gets a higher one. */
    long highestNonce() {
        return highestNonce;
    }

    /** Copy of the unresolved attempts by nonce, ascending. */
    NavigableMap<Long, List<JournalEntry.Signed>> unresolved() {
        NavigableMap<Long, List<JournalEntry.Signed>> copy = new TreeMap<>();
        unresolved.forEach((nonce, attempts) -> copy.put(nonce, List.copyOf(attempts)));
        return copy;
    }

    boolean deploymentUnresolved() {
        return unresolved.values().stream().anyMatch(a -> a.get(0) instanceof JournalEntry.DeploySigned);
    }

    boolean anchorUnresolved(String origin) {
        return unresolved.values().stream()
                .anyMatch(a -> a.get(0) instanceof JournalEntry.AnchorSigned s && s.origin().equals(origin));
    }

    /** The newest unresolved anchor of each origin (what was being anchored when the journal was last written). */
    Map<String, JournalEntry.AnchorSigned> unresolvedAnchors() {
        Map<String, JournalEntry.AnchorSigned> newest = new TreeMap<>();
        for (List<JournalEntry.Signed> attempts : unresolved.values()) {
            if (attempts.get(0) instanceof JournalEntry.AnchorSigned s) {
                newest.merge(s.origin(), s, (x, y) -> x.treeSize() >= y.treeSize() ? x : y);
            }
        }
        return newest;
    }

    Optional<String> deployedContract() {
        return Optional.ofNullable(deployedContract);
    }

    OptionalLong deployBlock() {
        long block = deployBlock;
        return block < 0 ? OptionalLong.empty() : OptionalLong.of(block);
    }

    /** Size of the origin's largest confirmed anchor, -1 when none. */
    long anchoredSize(String origin) {
        ConcurrentSkipListMap<Long, AnchorReceipt> byOrigin = anchors.get(origin);
        if (byOrigin == null || byOrigin.isEmpty()) {
            return -1;
        }
        return byOrigin.lastKey();
    }

    Optional<AnchorReceipt> covering(String origin, long treeSize) {
        ConcurrentSkipListMap<Long, AnchorReceipt> byOrigin = anchors.get(origin);
        return byOrigin == null ? Optional.empty()
                : Optional.ofNullable(byOrigin.ceilingEntry(treeSize)).map(Map.Entry::getValue);
    }

    List<AnchorReceipt> anchors(String origin) {
        ConcurrentSkipListMap<Long, AnchorReceipt> byOrigin = anchors.get(origin);
        return byOrigin == null ? List.of() : List.copyOf(byOrigin.values());
    }

    List<AnchorReceipt> anchors() {
        List<AnchorReceipt> all = new ArrayList<>();
        anchors.values().forEach(byOrigin -> all.addAll(byOrigin.values()));
        all.sort(Comparator.comparingLong(AnchorReceipt::blockNumber).thenComparingLong(AnchorReceipt::logIndex));
        return all;
    }

    private static String describe(JournalEntry.Signed signed) {
        return signed instanceof JournalEntry.AnchorSigned a
                ? "anchor of " + a.origin() + " size " + a.treeSize() + " root " + a.root() + " on " + a.contract()
                : "deployment of " + signed.contract();
    }

    private static String kind(JournalEntry entry) {
        return entry.getClass().getSimpleName();
    }
}
