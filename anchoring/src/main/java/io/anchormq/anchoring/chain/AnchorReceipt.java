package io.anchormq.anchoring.chain;

import io.anchormq.anchoring.proof.ChainAnchor;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.web3j.utils.Numeric;

/**
 * A confirmed anchor: on chain {@code chainId}, contract {@code contract} emitted {@code Anchored(root, treeSize)}
 * for the log {@code origin} in transaction {@code txHash}, block {@code blockNumber}, at block-wide log index
 * {@code logIndex}. Addresses and hashes are 0x-prefixed lowercase hex. What the journal and the anchorer keep;
 * {@link #toProofAnchor()} is the part a proof file carries.
 */
public record AnchorReceipt(String origin, byte[] root, long treeSize, long chainId, String contract, String txHash,
                            long blockNumber, long logIndex) {

    public AnchorReceipt {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(txHash, "txHash");
        if (root.length != 32) {
            throw new IllegalArgumentException("root must be 32 bytes, got " + root.length);
        }
        root = root.clone();
    }

    @Override
    public byte[] root() {
        return root.clone();
    }

    /**
     * The anchor line for proofs against the checkpoint of this origin, root and tree size:
     * {@code proof.withAnchor(receipt.toProofAnchor())}.
     */
    public ChainAnchor toProofAnchor() {
        return new ChainAnchor(chainId, Numeric.hexStringToByteArray(contract), Numeric.hexStringToByteArray(txHash),
                blockNumber, Math.toIntExact(logIndex));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AnchorReceipt a && origin.equals(a.origin) && Arrays.equals(root, a.root)
                && treeSize == a.treeSize && chainId == a.chainId && contract.equals(a.contract)
                && txHash.equals(a.txHash) && blockNumber == a.blockNumber && logIndex == a.logIndex;
    }

    @Override
    public int hashCode() {
        return Objects.hash(origin, Arrays.hashCode(root), treeSize, chainId, contract, txHash, blockNumber, logIndex);
    }

    @Override
    public String toString() {
        return "AnchorReceipt[origin=" + origin + ", root=" + HexFormat.of().formatHex(root) + ", treeSize=" + treeSize
                + ", chainId=" + chainId + ", contract=" + contract + ", txHash=" + txHash + ", blockNumber="
                + blockNumber + ", logIndex=" + logIndex + "]";
    }
}
