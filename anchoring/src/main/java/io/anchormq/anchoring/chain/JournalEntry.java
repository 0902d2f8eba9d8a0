package io.anchormq.anchoring.chain;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One line of {@code anchors.jsonl}. A transaction is journaled ({@link Signed}) before it is broadcast, so after a
 * crash or an outage the same signed bytes are sent again and its nonce is never given to anything else; every nonce
 * then ends in exactly one resolution ({@link Deployed}, {@link Anchored}, {@link Reverted} or {@link Dropped}).
 * Hex strings are 0x-prefixed and lowercase; times are ISO-8601 UTC.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = JournalEntry.DeploySigned.class, name = "deploy-signed"),
        @JsonSubTypes.Type(value = JournalEntry.AnchorSigned.class, name = "anchor-signed"),
        @JsonSubTypes.Type(value = JournalEntry.Deployed.class, name = "deployed"),
        @JsonSubTypes.Type(value = JournalEntry.Anchored.class, name = "anchored"),
        @JsonSubTypes.Type(value = JournalEntry.Reverted.class, name = "reverted"),
        @JsonSubTypes.Type(value = JournalEntry.Dropped.class, name = "dropped")})
sealed interface JournalEntry {

    /** The sender's nonce this entry is about. */
    long nonce();

    /** A signed transaction, journaled before its first broadcast; a fee bump adds another for the same nonce. */
    sealed interface Signed extends JournalEntry {
        long chainId();

        String from();

        /** For a deployment: the address the contract will have (sender + nonce determine it). */
        String contract();

        String txHash();

        /** The signed transaction, exactly as broadcast. */
        String raw();

        long gasLimit();

        BigInteger maxFeePerGas();

        BigInteger maxPriorityFeePerGas();

        String signedAt();

        default Instant signedInstant() {
            return Instant.parse(signedAt());
        }
    }

    /** Resolutions: after one of them, no further transaction of that nonce is sent. */
    sealed interface Resolution extends JournalEntry {
    }

    record DeploySigned(long chainId, String from, String contract, long nonce, String txHash, String raw,
                        long gasLimit, BigInteger maxFeePerGas, BigInteger maxPriorityFeePerGas, String signedAt)
            implements Signed {
        public DeploySigned {
            requireSigned(from, contract, txHash, raw, maxFeePerGas, maxPriorityFeePerGas, signedAt);
        }
    }

    record AnchorSigned(long chainId, String from, String contract, String origin, String root, long treeSize,
                        long nonce, String txHash, String raw, long gasLimit, BigInteger maxFeePerGas,
                        BigInteger maxPriorityFeePerGas, String signedAt) implements Signed {
        public AnchorSigned {
            requireSigned(from, contract, txHash, raw, maxFeePerGas, maxPriorityFeePerGas, signedAt);
            Objects.requireNonNull(origin, "origin");
            Objects.requireNonNull(root, "root");
        }

        /** Whether this and {@code other} anchor the same thing (then they may share a nonce: a fee bump). */
        boolean sameAnchor(AnchorSigned other) {
            return contract.equals(other.contract) && origin.equals(other.origin) && root.equals(other.root)
                    && treeSize == other.treeSize;
        }
    }

    record Deployed(long chainId, String contract, long nonce, String txHash, long blockNumber, long gasUsed,
                    String confirmedAt) implements Resolution {
        public Deployed {
            Objects.requireNonNull(contract, "contract");
            Objects.requireNonNull(txHash, "txHash");
            Objects.requireNonNull(confirmedAt, "confirmedAt");
        }
    }

    /** The receipt of an anchor: everything a proof's chain witness line needs, plus what it cost. */
    record Anchored(long chainId, String contract, String origin, String root, long treeSize, long nonce,
                    String txHash, long blockNumber, long logIndex, long gasUsed, BigInteger effectiveGasPrice,
                    String confirmedAt) implements Resolution {
        public Anchored {
            Objects.requireNonNull(contract, "contract");
            Objects.requireNonNull(origin, "origin");
            Objects.requireNonNull(root, "root");
            Objects.requireNonNull(txHash, "txHash");
            Objects.requireNonNull(confirmedAt, "confirmedAt");
        }
    }

    /** Mined but failed: the nonce is spent, the anchor (or deployment) is not done and will be tried again. */
    record Reverted(long nonce, String txHash, long blockNumber, long gasUsed, String reason, String at)
            implements Resolution {
        public Reverted {
            Objects.requireNonNull(txHash, "txHash");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
        }
    }

    /** The nonce was spent by a transaction that is not ours (the key is used elsewhere): ours can never be mined. */
    record Dropped(long nonce, String reason, String at) implements Resolution {
        public Dropped {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
        }
    }

    private static void requireSigned(String from, String contract, String txHash, String raw,
                                      BigInteger maxFeePerGas, BigInteger maxPriorityFeePerGas, String signedAt) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(txHash, "txHash");
        Objects.requireNonNull(raw, "raw");
        Objects.requireNonNull(maxFeePerGas, "maxFeePerGas");
        Objects.requireNonNull(maxPriorityFeePerGas, "maxPriorityFeePerGas");
        Objects.requireNonNull(signedAt, "signedAt");
    }
}
