package io.anchormq.anchoring.chain;

import io.anchormq.anchoring.merkle.Sha256Hash;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * The {@code Anchor} contract ({@code Anchor.sol} beside this class): its call encoding, its event, and the lookup of
 * anchors by root with {@code eth_getLogs}.
 */
public final class AnchorContract {

    /** {@code event Anchored(bytes32 indexed root, uint64 treeSize)}. */
    static final Event ANCHORED = new Event("Anchored",
            List.of(new TypeReference<Bytes32>(true) { }, new TypeReference<Uint64>(false) { }));
    /** topic0 of every Anchored log: keccak256("Anchored(bytes32,uint64)"). */
    static final String ANCHORED_TOPIC = EventEncoder.encode(ANCHORED);

    private static final String BYTECODE_RESOURCE = "Anchor.bin";

    private AnchorContract() {
    }

    /**
     * Every {@code Anchored} event of {@code contract} whose root is {@code root}, oldest first, searching from block
     * {@code fromBlock} to the latest block. (Hosted nodes may cap the block range of one query: give the
     * deployment block.)
     *
     * @throws IOException when the node cannot be reached or answers with an error, or a log is malformed
     */
    public static List<AnchoredEvent> findByRoot(Web3j web3j, String contract, byte[] root, long fromBlock)
            throws IOException {
        requireRoot(root);
        if (fromBlock < 0) {
            throw new IllegalArgumentException("fromBlock must be >= 0, got " + fromBlock);
        }
        String address = normalizeAddress(contract);
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameterName.LATEST, address)
                .addSingleTopic(ANCHORED_TOPIC)
                .addSingleTopic(Numeric.toHexString(root));
        EthLog response = web3j.ethGetLogs(filter).send();
        if (response.hasError()) {
            throw new RpcException("eth_getLogs", response.getError());
        }
        List<AnchoredEvent> events = new ArrayList<>();
        for (EthLog.LogResult<?> result : response.getLogs()) {
            if (!(result.get() instanceof Log logEntry)) {
                throw new IOException("eth_getLogs returned a bare hash instead of a log object: " + result.get());
            }
            events.add(decode(logEntry, address).orElseThrow(
                    () -> new IOException("eth_getLogs returned a log the filter excludes: " + logEntry)));
        }
        return events;
    }

    /** Calldata of {@code anchor(root, treeSize)}. */
    static String anchorCall(byte[] root, long treeSize) {
        requireRoot(root);
        if (treeSize < 0) {
            throw new IllegalArgumentException("tree size must be >= 0, got " + treeSize);
        }
        return FunctionEncoder.encode(new Function("anchor",
                List.of(new Bytes32(root), new Uint64(BigInteger.valueOf(treeSize))), List.of()));
    }

    /**
     * The log as an Anchored event of {@code contract}, or empty when it is another contract's log or another event.
     *
     * @throws IOException when it claims to be an Anchored event of the contract but is malformed
     */
    static Optional<AnchoredEvent> decode(Log logEntry, String contract) throws IOException {
        List<String> topics = logEntry.getTopics();
        if (logEntry.getAddress() == null || !logEntry.getAddress().equalsIgnoreCase(contract)
                || topics == null || topics.isEmpty() || !ANCHORED_TOPIC.equalsIgnoreCase(topics.get(0))) {
            return Optional.empty();
        }
        if (topics.size() != 2) {
            throw new IOException("Anchored log with " + topics.size() + " topics (2 expected) in tx "
                    + logEntry.getTransactionHash());
        }
        byte[] root = Numeric.hexStringToByteArray(topics.get(1));
        byte[] data = Numeric.hexStringToByteArray(logEntry.getData());
        if (root.length != 32 || data.length != 32) {
            throw new IOException("Anchored log with a " + root.length + "-byte root topic and " + data.length
                    + " data bytes (32 and 32 expected) in tx " + logEntry.getTransactionHash());
        }
        BigInteger size = new BigInteger(1, data);
        if (size.bitLength() > 63) { // we only ever write sizes that fit a Java long
            throw new IOException("Anchored log with tree size " + size + " (above 2^63-1) in tx "
                    + logEntry.getTransactionHash());
        }
        return Optional.of(new AnchoredEvent(Sha256Hash.of(root, "root"), size.longValueExact(),
                logEntry.getTransactionHash().toLowerCase(Locale.ROOT), logEntry.getBlockNumber().longValueExact(),
                logEntry.getLogIndex().longValueExact()));
    }

    /** Creation bytecode (0x-prefixed hex) of {@code Anchor.sol}, compiled as the module README says. */
    static String creationBytecode() {
        try (InputStream in = AnchorContract.class.getResourceAsStream(BYTECODE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(BYTECODE_RESOURCE + " missing beside " + AnchorContract.class);
            }
            String hex = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (hex.isEmpty() || !hex.matches("[0-9a-f]+")) {
                throw new IllegalStateException(BYTECODE_RESOURCE + " is not lowercase hex");
            }
            return "0x" + hex;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 0x-prefixed lowercase form of a 20-byte address. */
    static String normalizeAddress(String address) {
        if (address == null || !address.matches("0[xX][0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("not a 0x-prefixed 20-byte hex address: " + address);
        }
        return address.toLowerCase(Locale.ROOT);
    }

    private static void requireRoot(byte[] root) {
        if (root == null || root.length != 32) {
            throw new IllegalArgumentException("root must be 32 bytes, got "
                    + (root == null ? "null" : root.length));
        }
    }
}
