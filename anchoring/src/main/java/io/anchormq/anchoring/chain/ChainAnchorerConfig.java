package io.anchormq.anchoring.chain;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a {@link ChainAnchorer} needs. Start from {@link #of} (the defaults) and change with the {@code with...}
 * methods.
 *
 * @param rpcUrl          the node's JSON-RPC endpoint
 * @param chainId         the chain to anchor on; empty: whatever the node serves. When given, a node serving
 *                        another chain is refused.
 * @param privateKeyHex   the sender's secp256k1 private key, 64 hex digits (optionally 0x-prefixed). Never printed.
 * @param contract        the Anchor contract's address; empty: deploy it on first start and keep its address in the
 *                        journal
 * @param interval        at most one anchoring round per interval; a round anchors the newest root offered for each
 *                        origin, when newer than that origin's last anchor
 * @param directory       where the journal {@code anchors.jsonl} lives (one anchorer per directory and per key)
 * @param pollInterval    how often receipts of sent transactions are looked for
 * @param rpcTimeout      bound on connecting to the node and on each JSON-RPC request
 * @param retryInitial    first wait after a failed step (node unreachable or refusing); doubles per failure
 * @param retryMax        cap of that wait
 * @param confirmations   blocks (the receipt's included) before a receipt is final and journaled
 * @param replaceAfter    a transaction still unmined after this long is re-signed with the same nonce and higher
 *                        fees; empty: never
 * @param lookupFromBlock first block searched by {@link ChainAnchorer#findByRoot}; empty: the deployment block when
 *                        this anchorer deployed the contract, else 0
 */
public record ChainAnchorerConfig(URI rpcUrl, OptionalLong chainId, String privateKeyHex, Optional<String> contract,
                                  Duration interval, Path directory, Duration pollInterval, Duration rpcTimeout,
                                  Duration retryInitial, Duration retryMax, int confirmations,
                                  Optional<Duration> replaceAfter, OptionalLong lookupFromBlock) {

    public ChainAnchorerConfig {
        Objects.requireNonNull(rpcUrl, "rpcUrl");
        Objects.requireNonNull(chainId, "chainId");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(replaceAfter, "replaceAfter");
        Objects.requireNonNull(lookupFromBlock, "lookupFromBlock");
        if (privateKeyHex == null || !privateKeyHex.matches("(0x)?[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("privateKeyHex must be 64 hex digits, optionally 0x-prefixed");
        }
        contract = contract.map(AnchorContract::normalizeAddress);
        if (chainId.isPresent() && chainId.getAsLong() <= 0) {
            throw new IllegalArgumentException("chainId must be positive, got " + chainId.getAsLong());
        }
        requirePositive("interval", interval);
        requirePositive("pollInterval", pollInterval);
        requirePositive("rpcTimeout", rpcTimeout);
        requirePositive("retryInitial", retryInitial);
        requirePositive("retryMax", retryMax);
        if (retryMax.compareTo(retryInitial) < 0) {
            throw new IllegalArgumentException("retryMax " + retryMax + " is below retryInitial " + retryInitial);
        }
        if (confirmations < 1) {
            throw new IllegalArgumentException("confirmations must be >= 1, got " + confirmations);
        }
        replaceAfter.ifPresent(d -> requirePositive("replaceAfter", d));
        if (lookupFromBlock.isPresent() && lookupFromBlock.getAsLong() < 0) {
            throw new IllegalArgumentException("lookupFromBlock must be >= 0, got " + lookupFromBlock.getAsLong());
        }
    }

    /**
     * Defaults: chain id from the node, deploy on first start, a round every 10 minutes, receipts polled every 2 s,
     * 10 s RPC timeout, retries from 1 s doubling up to 1 minute, 1 confirmation, fee bump after 3 minutes.
     */
    public static ChainAnchorerConfig of(URI rpcUrl, String privateKeyHex, Path directory) {
        return new ChainAnchorerConfig(rpcUrl, OptionalLong.empty(), privateKeyHex, Optional.empty(),
                Duration.ofMinutes(10), directory, Duration.ofSeconds(2), Duration.ofSeconds(10),
                Duration.ofSeconds(1), Duration.ofMinutes(1), 1, Optional.of(Duration.ofMinutes(3)),
                OptionalLong.empty());
    }

    public ChainAnchorerConfig withChainId(long id) {
        return new ChainAnchorerConfig(rpcUrl, OptionalLong.of(id), privateKeyHex, contract, interval, directory,
                pollInterval, rpcTimeout, retryInitial, retryMax, confirmations, replaceAfter, lookupFromBlock);
    }

    public ChainAnchorerConfig withContract(String address) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, Optional.of(address), interval, directory,
                pollInterval, rpcTimeout, retryInitial, retryMax, confirmations, replaceAfter, lookupFromBlock);
    }

    public ChainAnchorerConfig withInterval(Duration every) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, contract, every, directory,
                pollInterval, rpcTimeout, retryInitial, retryMax, confirmations, replaceAfter, lookupFromBlock);
    }

    public ChainAnchorerConfig withPollInterval(Duration every) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, contract, interval, directory,
                every, rpcTimeout, retryInitial, retryMax, confirmations, replaceAfter, lookupFromBlock);
    }

    public ChainAnchorerConfig withRpcTimeout(Duration timeout) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, contract, interval, directory,
                pollInterval, timeout, retryInitial, retryMax, confirmations, replaceAfter, lookupFromBlock);
    }

    public ChainAnchorerConfig withRetry(Duration initial, Duration max) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, contract, interval, directory,
                pollInterval, rpcTimeout, initial, max, confirmations, replaceAfter, lookupFromBlock);
    }

    public ChainAnchorerConfig withConfirmations(int blocks) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, contract, interval, directory,
                pollInterval, rpcTimeout, retryInitial, retryMax, blocks, replaceAfter, lookupFromBlock);
    }

    /** {@code null}: never replace a stuck transaction. */
    public ChainAnchorerConfig withReplaceAfter(Duration after) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, contract, interval, directory,
                pollInterval, rpcTimeout, retryInitial, retryMax, confirmations, Optional.ofNullable(after),
                lookupFromBlock);
    }

    public ChainAnchorerConfig withLookupFromBlock(long block) {
        return new ChainAnchorerConfig(rpcUrl, chainId, privateKeyHex, contract, interval, directory,
                pollInterval, rpcTimeout, retryInitial, retryMax, confirmations, replaceAfter,
                OptionalLong.of(block));
    }

    /** Without the private key (and without the URL's user info, path and query, where hosted nodes put API keys). */
    @Override
    public String toString() {
        return "ChainAnchorerConfig[rpc=" + rpcUrl.getScheme() + "://" + rpcUrl.getHost()
                + (rpcUrl.getPort() < 0 ? "" : ":" + rpcUrl.getPort()) + ", chainId="
                + chainId + ", contract=" + contract + ", interval=" + interval + ", directory=" + directory
                + ", pollInterval=" + pollInterval + ", rpcTimeout=" + rpcTimeout + ", retry=" + retryInitial
                + ".." + retryMax + ", confirmations=" + confirmations + ", replaceAfter=" + replaceAfter
                + ", lookupFromBlock=" + lookupFromBlock + ", privateKey=<redacted>]";
    }

    private static void requirePositive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
