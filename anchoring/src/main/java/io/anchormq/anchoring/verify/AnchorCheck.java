package io.anchormq.anchoring.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.proof.ChainAnchor;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Confirms an anchor line against an EVM node: the node serves the line's chain; the transaction's receipt says it
 * succeeded in the line's block; and the receipt's log at the line's log index is the {@code Anchored} event of the
 * line's contract, for the checkpoint's root and tree size. Any difference is a {@link VerificationFailure} that
 * names it; a node that cannot be asked is {@link UnusableInput}.
 */
final class AnchorCheck {

    private static final String RECEIPT = "eth_getTransactionReceipt";

    private final JsonRpc rpc;
    private long servedChainId = -1;

    AnchorCheck(JsonRpc rpc) {
        this.rpc = rpc;
    }

    /** Checks {@code anchor} for {@code checkpoint}; returns what was confirmed, for the report. */
    String confirm(ChainAnchor anchor, Checkpoint checkpoint) throws VerificationFailure, UnusableInput {
        String tx = anchor.txHashHex();
        if (servedChainId < 0) {
            servedChainId = rpc.quantity(rpc.call("eth_chainId"), "eth_chainId");
        }
        if (servedChainId != anchor.chainId()) {
            throw failure("the node at " + rpc.endpoint() + " serves chain " + servedChainId + ", the anchor line is"
                    + " for chain " + anchor.chainId());
        }
        JsonNode receipt = rpc.call(RECEIPT, tx);
        if (receipt.isNull()) {
            throw failure("chain " + anchor.chainId() + " has no transaction " + tx + " (no receipt from "
                    + rpc.endpoint() + ")");
        }
        long status = rpc.quantity(receipt.get("status"), RECEIPT + " status");
        if (status != 1) {
            throw failure("transaction " + tx + " failed on chain " + anchor.chainId() + " (status " + status + ")");
        }
        long block = rpc.quantity(receipt.get("blockNumber"), RECEIPT + " blockNumber");
        if (block != anchor.blockNumber()) {
            throw failure("transaction " + tx + " is in block " + block + ", the anchor line says block "
                    + anchor.blockNumber());
        }
        JsonNode event = null;
        List<Long> logIndexes = new ArrayList<>();
        for (JsonNode log : receipt.path("logs")) {
            long index = rpc.quantity(log.get("logIndex"), RECEIPT + " logIndex");
            logIndexes.add(index);
            if (index == anchor.logIndex()) {
                event = log;
            }
        }
        if (event == null) {
            throw failure("transaction " + tx + " emitted no log at index " + anchor.logIndex() + " (its logs are at "
                    + (logIndexes.isEmpty() ? "none" : logIndexes) + ")");
        }
        String where = "log " + anchor.logIndex() + " of transaction " + tx;
        String emitter = event.path("address").asText().toLowerCase(Locale.ROOT);
        if (!emitter.equals(anchor.contractHex())) {
            throw failure(where + " was emitted by " + emitter + ", not by the anchor's contract "
                    + anchor.contractHex());
        }
        if (event.path("removed").asBoolean(false)) {
            throw failure(where + " was removed: its block left the canonical chain");
        }
        JsonNode topics = event.path("topics");
        if (topics.size() != 2 || !ChainAnchor.ANCHORED_TOPIC.equalsIgnoreCase(topics.get(0).asText())) {
            throw failure(where + " is not an " + ChainAnchor.ANCHORED_EVENT + " event (topics " + topics + ")");
        }
        byte[] root = word(topics.get(1).asText(), where + " root topic");
        if (!Arrays.equals(root, checkpoint.root())) {
            throw failure("the Anchored event (" + where + ") is for root " + base64(root) + ", the checkpoint's"
                    + " root is " + base64(checkpoint.root()));
        }
        BigInteger treeSize = new BigInteger(1, word(event.path("data").asText(), where + " data"));
        if (!treeSize.equals(BigInteger.valueOf(checkpoint.size()))) {
            throw failure("the Anchored event (" + where + ") is for tree size " + treeSize + ", the checkpoint's is "
                    + checkpoint.size());
        }
        long latest = rpc.quantity(rpc.call("eth_blockNumber"), "eth_blockNumber");
        long confirmations = latest - block + 1;
        return "confirmed by " + rpc.endpoint() + ": " + confirmations + " confirmation"
                + (confirmations == 1 ? "" : "s");
    }

    /** A 32-byte ABI word, 0x and 64 hex digits. */
    private static byte[] word(String hex, String what) throws VerificationFailure {
        if (hex.length() != 2 + 64 || !hex.startsWith("0x")) {
            throw failure(what + " is " + hex + ", not a 32-byte word");
        }
        try {
            return HexFormat.of().parseHex(hex.substring(2));
        } catch (IllegalArgumentException e) {
            throw failure(what + " is " + hex + ", not hex");
        }
    }

    private static VerificationFailure failure(String message) {
        return new VerificationFailure("anchor: " + message);
    }

    private static String base64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }
}
