package io.anchormq.anchoring.chain;

import io.anchormq.anchoring.merkle.Sha256Hash;
import io.anchormq.anchoring.proof.ChainAnchor;
import java.util.Objects;
import org.web3j.utils.Numeric;

/**
 * A confirmed anchor: on chain {@code chainId}, contract {@code contract} emitted {@code Anchored(root, treeSize)}
 * for the log {@code origin} in transaction {@code txHash}, block {@code blockNumber}, at block-wide log index
 * {@code logIndex}. The contract address and transaction hash are 0x-prefixed lowercase hex. What the journal and the
 * anchorer keep; {@link #toProofAnchor()} is the part a proof file carries.
 */
public record AnchorReceipt(String origin, Sha256Hash root, long treeSize, long chainId, String contract, String txHash,
                            long blockNumber, long logIndex) {

    public AnchorReceipt {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(txHash, "txHash");
    }

    /**
     * The anchor line for proofs against the checkpoint of this origin, root and tree size:
     * {@code proof.withAnchor(receipt.toProofAnchor())}.
     */
    public ChainAnchor toProofAnchor() {
        return new ChainAnchor(chainId, Numeric.hexStringToByteArray(contract), Numeric.hexStringToByteArray(txHash),
                blockNumber, Math.toIntExact(logIndex));
    }
}
