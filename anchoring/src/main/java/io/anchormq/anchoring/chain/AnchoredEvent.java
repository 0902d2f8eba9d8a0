package io.anchormq.anchoring.chain;

import io.anchormq.anchoring.merkle.Sha256Hash;
import java.util.Objects;

/**
 * An {@code Anchored(root, treeSize)} event found on chain: in transaction {@code txHash}, block
 * {@code blockNumber}, at block-wide log index {@code logIndex}.
 */
public record AnchoredEvent(Sha256Hash root, long treeSize, String txHash, long blockNumber, long logIndex) {

    public AnchoredEvent {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(txHash, "txHash");
    }
}
