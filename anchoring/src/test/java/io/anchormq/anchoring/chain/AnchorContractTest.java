package io.anchormq.anchoring.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.proof.ChainAnchor;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.Log;

/** The Java side of the contract agrees with the committed ABI and bytecode (no chain needed). */
class AnchorContractTest {

    private static final String CONTRACT = "0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab";

    @Test
    void theCallSelectorAndEventTopicAreTheOnesCompiledIntoTheBytecode() {
        String selector = Hash.sha3String("anchor(bytes32,uint64)").substring(2, 10);
        String call = AnchorContract.anchorCall(new byte[32], 7);
        assertEquals("0x" + selector, call.substring(0, 10));
        assertEquals(2 + 8 + 64 + 64, call.length());
        assertTrue(call.endsWith("07"));
        String bytecode = AnchorContract.creationBytecode();
        assertTrue(bytecode.contains("63" + selector), "PUSH4 of the selector in Anchor.bin");
        assertTrue(bytecode.contains("7f" + AnchorContract.ANCHORED_TOPIC.substring(2)), "PUSH32 of the topic");
        assertEquals(Hash.sha3String("Anchored(bytes32,uint64)"), AnchorContract.ANCHORED_TOPIC);
        assertEquals(AnchorContract.ANCHORED_TOPIC, ChainAnchor.ANCHORED_TOPIC, "what the verifier looks for");
    }

    @Test
    void theCommittedAbiDeclaresTheFunctionAndEventWeEncode() throws IOException {
        JsonNode abi;
        try (InputStream in = AnchorContract.class.getResourceAsStream("Anchor.abi")) {
            abi = new ObjectMapper().readTree(in);
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : abi) {
            StringBuilder s = new StringBuilder(item.get("type").asText()).append(' ')
                    .append(item.path("name").asText()).append('(');
            for (JsonNode input : item.get("inputs")) {
                s.append(input.get("type").asText()).append(input.path("indexed").asBoolean() ? " indexed" : "")
                        .append(',');
            }
            items.add(s.append(')').toString());
        }
        assertTrue(items.contains("function anchor(bytes32,uint64,)"), items.toString());
        assertTrue(items.contains("event Anchored(bytes32 indexed,uint64,)"), items.toString());
    }

    @Test
    void decodesOurEventsIgnoresOthersAndRejectsMalformedOnes() throws IOException {
        String root = "0x" + "cd".repeat(32);
        Log ours = log(CONTRACT, List.of(AnchorContract.ANCHORED_TOPIC, root), word(BigInteger.valueOf(9)));
        AnchoredEvent event = AnchorContract.decode(ours, CONTRACT.toUpperCase().replace("0X", "0x")).orElseThrow();
        assertEquals(9, event.treeSize());
        assertEquals(3, event.logIndex());
        assertEquals(12, event.blockNumber());

        assertTrue(AnchorContract.decode(log("0x" + "11".repeat(20), List.of(AnchorContract.ANCHORED_TOPIC, root),
                word(BigInteger.ONE)), CONTRACT).isEmpty(), "another contract's log");
        assertTrue(AnchorContract.decode(log(CONTRACT, List.of(Hash.sha3String("Other()")), "0x"), CONTRACT)
                .isEmpty(), "another event");
        assertThrows(IOException.class, () -> AnchorContract.decode(
                log(CONTRACT, List.of(AnchorContract.ANCHORED_TOPIC, root), "0x01"), CONTRACT));
        assertThrows(IOException.class, () -> AnchorContract.decode(
                log(CONTRACT, List.of(AnchorContract.ANCHORED_TOPIC), word(BigInteger.ONE)), CONTRACT));
        assertThrows(IOException.class, () -> AnchorContract.decode(log(CONTRACT,
                List.of(AnchorContract.ANCHORED_TOPIC, root), word(BigInteger.ONE.shiftLeft(63))), CONTRACT));
    }

    @Test
    void refusesWhatTheContractCannotTake() {
        assertThrows(IllegalArgumentException.class, () -> AnchorContract.anchorCall(new byte[31], 1));
        assertThrows(IllegalArgumentException.class, () -> AnchorContract.anchorCall(new byte[32], -1));
        assertThrows(IllegalArgumentException.class, () -> AnchorContract.normalizeAddress("0x1234"));
    }

    private static Log log(String address, List<String> topics, String data) {
        Log log = new Log();
        log.setAddress(address);
        log.setTopics(topics);
        log.setData(data);
        log.setTransactionHash("0x" + "ee".repeat(32));
        log.setBlockNumber("0xc");
        log.setLogIndex("0x3");
        return log;
    }

    private static String word(BigInteger value) {
        return "0x" + String.format("%64s", value.toString(16)).replace(' ', '0');
    }
}
