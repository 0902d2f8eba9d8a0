package io.anchormq.broker.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.broker.integrity.LogReceipt;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/** The JSON a device receives on its receipts topic for each of its logged messages. */
final class Receipts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Receipts() {
    }

    static byte[] json(LogReceipt receipt, String topic, int packetId, byte[] payloadSha256) {
        ObjectNode n = JSON.createObjectNode();
        n.put("topic", topic);
        if (packetId > 0) {
            n.put("packetId", packetId);
        }
        n.put("payloadSha256", HexFormat.of().formatHex(payloadSha256));
        n.put("workspace", receipt.workspace());
        n.put("leafIndex", receipt.leafIndex());
        n.put("leafHash", Base64.getEncoder().encodeToString(receipt.leafHash()));
        n.put("checkpoint", receipt.checkpoint());
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }
}
