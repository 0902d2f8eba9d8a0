package io.anchormq.anchoring.chain;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An {@code Anchored(root, treeSize)} event found on chain: in transaction {@code txHash}, block
 * {@code blockNumber}, at block-wide log index {@code logIndex}.
 */
public record AnchoredEvent(byte[] root, long treeSize, String txHash, long blockNumber, long logIndex) {

    public AnchoredEvent {
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

    @Override
    public boolean equals(Object o) {
        return o instanceof AnchoredEvent e && Arrays.equals(root, e.root) && treeSize == e.treeSize
                && txHash.equals(e.txHash) && blockNumber == e.blockNumber && logIndex == e.logIndex;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(root), treeSize, txHash, blockNumber, logIndex);
    }

    @Override
    public String toString() {
        return "AnchoredEvent[root=" + HexFormat.of().formatHex(root) + ", treeSize=" + treeSize + ", txHash="
                + txHash + ", blockNumber=" + blockNumber + ", logIndex=" + logIndex + "]";
    }
}
