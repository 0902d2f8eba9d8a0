package io.anchormq.anchoring.chain;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Optional;

import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The JSON-RPC calls the anchorer makes, each failing with an {@link IOException}: unreachable or timed out, or an
 * {@link RpcException} when the node answered with an error.
 */
final class ChainNode {

    /** JSON-RPC "method not found". */
    private static final int METHOD_NOT_FOUND = -32601;

    private final Web3j web3j;

    ChainNode(Web3j web3j) {
        this.web3j = web3j;
    }

    Web3j web3j() {
        return web3j;
    }

    long chainId() throws IOException {
        return checked("eth_chainId", web3j.ethChainId().send()).getChainId().longValueExact();
    }

    long blockNumber() throws IOException {
        return checked("eth_blockNumber", web3j.ethBlockNumber().send()).getBlockNumber().longValueExact();
    }

    /** The EIP-1559 base fee of the latest block. */
    BigInteger baseFee() throws IOException {
        EthBlock.Block latest = checked("eth_getBlockByNumber",
                web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send()).getBlock();
        if (latest == null || latest.getBaseFeePerGas() == null) {
            throw new IOException("the latest block has no base fee: the chain does not run EIP-1559 (London)");
        }
        return latest.getBaseFeePerGas();
    }

    /** The node's suggested priority fee, or {@code fallback} when it does not implement the method. */
    BigInteger priorityFee(BigInteger fallback) throws IOException {
        var response = web3j.ethMaxPriorityFeePerGas().send();
        if (response.hasError() && response.getError().getCode() == METHOD_NOT_FOUND) {
            return fallback;
        }
        return checked("eth_maxPriorityFeePerGas", response).getMaxPriorityFeePerGas();
    }

    /** Gas of a transaction from {@code from} to {@code to} ({@code null}: a contract creation) with {@code data}. */
    BigInteger estimateGas(String from, String to, String data) throws IOException {
        Transaction call = to == null
                ? Transaction.createContractTransaction(from, null, null, data)
                : Transaction.createFunctionCallTransaction(from, null, null, null, to, data);
        return checked("eth_estimateGas", web3j.ethEstimateGas(call).send()).getAmountUsed();
    }

    /** Transaction count of {@code address}: mined ({@code LATEST}) or including the mempool ({@code PENDING}). */
    long nonce(String address, DefaultBlockParameterName at) throws IOException {
        return checked("eth_getTransactionCount", web3j.ethGetTransactionCount(address, at).send())
                .getTransactionCount().longValueExact();
    }

    boolean hasCode(String address) throws IOException {
        String code = checked("eth_getCode", web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send())
                .getCode();
        return code != null && !code.equals("0x") && !code.isEmpty();
    }

    Optional<TransactionReceipt> receipt(String txHash) throws IOException {
        return checked("eth_getTransactionReceipt", web3j.ethGetTransactionReceipt(txHash).send())
                .getTransactionReceipt();
    }

    /** Whether the node has the transaction, mined or in its mempool. */
    boolean knows(String txHash) throws IOException {
        return checked("eth_getTransactionByHash", web3j.ethGetTransactionByHash(txHash).send())
                .getTransaction().isPresent();
    }

    void sendRaw(String raw) throws IOException {
        checked("eth_sendRawTransaction", web3j.ethSendRawTransaction(raw).send());
    }

    private static <R extends Response<?>> R checked(String method, R response) throws RpcException {
        if (response.hasError()) {
            throw new RpcException(method, response.getError());
        }
        return response;
    }
}
