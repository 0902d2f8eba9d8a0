package io.anchormq.anchoring.chain;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A confirmed anchor: on chain {@code chainId}, contract {@code contract} emitted {@code Anchored(root, treeSize)}
 * for the log {@code origin} in transaction {@code txHash}, block {@code blockNumber}, at block-wide log index
 * {@code logIndex}. Addresses and hashes are 0x-prefixed lowercase hex.
 */
public record ChainAnchor(String origin, byte[] root, long treeSize, long chainId, String contract, String txHash,
                          long blockNumber, long logIndex) {

    public ChainAnchor {
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

    @Override
    public boolean equals(Object o) {
        return o instanceof ChainAnchor a && origin.equals(a.origin) && Arrays.equals(root, a.root)
                && treeSize == a.treeSize && chainId == a.chainId && contract.equals(a.contract)
                && txHash.equals(a.txHash) && blockNumber == a.blockNumber && logIndex == a.logIndex;
    }

    @Override
    public int hashCode() {
        return Objects.hash(origin, Arrays.hashCode(root), treeSize, chainId, contract, txHash, blockNumber, logIndex);
    }

    @Override
    public String toString() {
        return "ChainAnchor[origin=" + origin + ", root=" + HexFormat.of().formatHex(root) + ", treeSize=" + treeSize
                + ", chainId=" + chainId + ", contract=" + contract + ", txHash=" + txHash + ", blockNumber="
                + blockNumber + ", logIndex=" + logIndex + "]";
    }
}
