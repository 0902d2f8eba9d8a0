package io.anchormq.anchoring.proof;

import io.anchormq.anchoring.note.CanonicalEncoding;
import io.anchormq.anchoring.note.NoteSignature;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.crypto.digests.KeccakDigest;

/**
 * The claim that a checkpoint was anchored on an EVM chain: contract {@code contract} on chain {@code chainId}
 * emitted {@code Anchored(root, treeSize)} with the checkpoint's root and size in transaction {@code txHash},
 * block {@code blockNumber}, at log index {@code logIndex}. Carried in the checkpoint note as one more signature
 * line, which C2SP verifiers ignore as a line of an unknown key:
 * <pre>— eip155:&lt;chainId&gt;:0x&lt;contract, lowercase hex&gt; base64(key id ‖ txHash ‖ u64 blockNumber ‖ u32 logIndex)</pre>
 * with key id = SHA-256(key name ‖ 0x0A ‖ 0xFF ‖ "anchormq/eth-anchor/v1")[:4] (signature type 0xFF: a type
 * without an assigned byte, followed by a longer identifier). The line is a claim, not a signature: it is
 * confirmed by asking the chain. Byte arrays are copied in and out.
 */
public record ChainAnchor(long chainId, byte[] contract, byte[] txHash, long blockNumber, int logIndex) {

    /** The event the line claims: {@code event Anchored(bytes32 indexed root, uint64 treeSize)}. */
    public static final String ANCHORED_EVENT = "Anchored(bytes32,uint64)";
    /**
     * The event's topic 0, keccak256 of {@link #ANCHORED_EVENT}, as JSON-RPC writes it (0x, lowercase hex): how a
     * verifier recognizes the event in a receipt. The chain package computes the same with web3j.
     */
    public static final String ANCHORED_TOPIC = keccak256Hex(ANCHORED_EVENT);

    /** The signature type (0xFF) and identifier that go into the line's key id. */
    static final byte[] TYPE = typeAndIdentifier((byte) 0xFF, "anchormq/eth-anchor/v1");

    private static final String NAME_PREFIX = "eip155:";
    private static final int ADDRESS_SIZE = 20;
    private static final int TX_HASH_SIZE = 32;
    private static final int PAYLOAD_SIZE = TX_HASH_SIZE + Long.BYTES + Integer.BYTES;
    private static final HexFormat HEX = HexFormat.of();

    public ChainAnchor {
        if (chainId <= 0) {
            throw new IllegalArgumentException("chain id " + chainId + " is not positive");
        }
        if (contract.length != ADDRESS_SIZE) {
            throw new IllegalArgumentException("contract address has " + contract.length + " bytes, not 20");
        }
        if (txHash.length != TX_HASH_SIZE) {
            throw new IllegalArgumentException("transaction hash has " + txHash.length + " bytes, not 32");
        }
        if (blockNumber < 0) {
            throw new IllegalArgumentException("block number " + blockNumber + " is negative");
        }
        if (logIndex < 0) {
            throw new IllegalArgumentException("log index " + logIndex + " is negative");
        }
        contract = contract.clone();
        txHash = txHash.clone();
    }

    @Override
    public byte[] contract() {
        return contract.clone();
    }

    @Override
    public byte[] txHash() {
        return txHash.clone();
    }

    /** {@code eip155:<chainId>:0x<contract>}, the CAIP-10 account id of the contract. */
    public String keyName() {
        return NAME_PREFIX + chainId + ":0x" + HEX.formatHex(contract);
    }

    /** {@code 0x}-prefixed lowercase hex, as JSON-RPC writes addresses. */
    public String contractHex() {
        return "0x" + HEX.formatHex(contract);
    }

    public String txHashHex() {
        return "0x" + HEX.formatHex(txHash);
    }

    /** The note signature line that carries this anchor. */
    public NoteSignature toSignature() {
        byte[] payload = ByteBuffer.allocate(PAYLOAD_SIZE).put(txHash).putLong(blockNumber).putInt(logIndex).array();
        return new NoteSignature(keyName(), NoteSignature.keyId(keyName(), TYPE), payload);
    }

    /**
     * The anchor a signature line carries; empty when the line is another key's (its name is not an
     * {@code eip155:} name or its key id is not the anchor id for that name).
     *
     * @throws IllegalArgumentException when the line has the anchor key id but a malformed name or payload
     */
    public static Optional<ChainAnchor> fromSignature(NoteSignature line) {
        String name = line.keyName();
        if (!name.startsWith(NAME_PREFIX) || line.keyId() != NoteSignature.keyId(name, TYPE)) {
            return Optional.empty();
        }
        String[] parts = name.substring(NAME_PREFIX.length()).split(":", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("anchor line name " + name + " is not eip155:<chain id>:<address>");
        }
        long chainId = CanonicalEncoding.parseDecimal(parts[0], "anchor line chain id");
        String address = parts[1];
        if (address.length() != 2 + 2 * ADDRESS_SIZE || !address.startsWith("0x")
                || !address.substring(2).chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException(
                    "anchor line contract " + address + " is not 0x and 40 lowercase hex digits");
        }
        byte[] payload = line.signature();
        if (payload.length != PAYLOAD_SIZE) {
            throw new IllegalArgumentException("anchor line for " + name + " carries " + payload.length
                    + " bytes, not " + PAYLOAD_SIZE + " (transaction hash, block number, log index)");
        }
        ByteBuffer in = ByteBuffer.wrap(payload);
        byte[] txHash = new byte[TX_HASH_SIZE];
        in.get(txHash);
        long blockNumber = in.getLong();
        int logIndex = in.getInt();
        if (blockNumber < 0 || logIndex < 0) {
            throw new IllegalArgumentException("anchor line for " + name + " has block number "
                    + Long.toUnsignedString(blockNumber) + " and log index " + Integer.toUnsignedString(logIndex)
                    + "; this verifier reads them up to 2^63 - 1 and 2^31 - 1");
        }
        return Optional.of(new ChainAnchor(chainId, HEX.parseHex(address.substring(2)), txHash, blockNumber,
                logIndex));
    }

    private static String keccak256Hex(String text) {
        byte[] input = text.getBytes(StandardCharsets.US_ASCII);
        KeccakDigest keccak = new KeccakDigest(256); // Ethereum's keccak256: not SHA3-256, whose padding differs
        keccak.update(input, 0, input.length);
        byte[] hash = new byte[32];
        keccak.doFinal(hash, 0);
        return "0x" + HexFormat.of().formatHex(hash); // not HEX: it is initialized after this constant
    }

    private static byte[] typeAndIdentifier(byte type, String identifier) {
        byte[] id = identifier.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(1 + id.length).put(type).put(id).array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChainAnchor a && chainId == a.chainId && Arrays.equals(contract, a.contract)
                && Arrays.equals(txHash, a.txHash) && blockNumber == a.blockNumber && logIndex == a.logIndex;
    }

    @Override
    public int hashCode() {
        return Objects.hash(chainId, Arrays.hashCode(contract), Arrays.hashCode(txHash), blockNumber, logIndex);
    }

    @Override
    public String toString() {
        return "ChainAnchor[chain " + chainId + ", contract " + contractHex() + ", tx " + txHashHex() + ", block "
                + blockNumber + ", log index " + logIndex + "]";
    }
}
