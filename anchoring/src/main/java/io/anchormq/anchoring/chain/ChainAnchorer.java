package io.anchormq.anchoring.chain;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.ContractUtils;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Anchors log checkpoints on an EVM chain: every {@link ChainAnchorerConfig#interval() interval} at most, the newest
 * (root, tree size) {@link #offer offered} for each log origin, when newer than that origin's last anchor, goes into
 * one EIP-1559 transaction calling {@code Anchor.anchor(root, treeSize)}.
 *
 * <p>Nonces: the node's pending count at start, then a local counter. Each transaction is signed and written to the
 * journal ({@code anchors.jsonl}, fsynced) <em>before</em> it is broadcast, so a crash or an unreachable node never
 * loses an anchor or frees its nonce: the same signed bytes are sent again until a receipt comes. A transaction
 * unmined for {@link ChainAnchorerConfig#replaceAfter()} is replaced by one with the same nonce, the same anchor and
 * higher fees. A nonce that another sender of the same key spent is recorded as dropped, the counter re-synced from
 * the node, and the anchor signed again with a new nonce. Each origin has at most one unconfirmed anchor, so an
 * outage costs one transaction per origin, not one per interval.
 *
 * <p>All chain work runs on one thread of its own (so nonces are assigned in one place); it backs off exponentially,
 * capped, while steps fail. {@link #offer} and the read methods never block on the node.
 */
public final class ChainAnchorer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChainAnchorer.class);

    /** Used when the node has no eth_maxPriorityFeePerGas. */
    private static final BigInteger FALLBACK_PRIORITY_FEE = BigInteger.valueOf(1_000_000_000L);
    /** Headroom on eth_estimateGas: the estimate is exact for this contract, the margin covers a changed chain. */
    private static final int GAS_MARGIN_PERCENT = 20;
    /** Nodes accept a same-nonce replacement only with both fees raised by at least 10 % (geth, ganache). */
    private static final int FEE_BUMP_PERCENT = 25;
    /** Replacements never offer more than this many times the current market fee. */
    private static final int MAX_FEE_OVER_MARKET = 10;

    private final ChainAnchorerConfig config;
    private final Consumer<AnchorReceipt> onAnchored;
    private final Credentials credentials;
    private final String sender;
    private final AnchorJournal journal;
    private final AnchorLedger ledger;
    private final JdkHttpService service;
    private final ChainNode node;
    private final ScheduledExecutorService worker;
    private final ConcurrentHashMap<String, Offer> offers = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile Status status = new Status(0, Duration.ZERO, Optional.empty(), 0);

    // worker thread only
    private long chainId = -1;
    private long nextNonce = -1;
    private Instant nextRoundAt = Instant.MIN;
    private int failures;
    /** Set when continuing would waste gas (the contract does not behave as ours); cleared by a restart. */
    private String halted;

    private ChainAnchorer(ChainAnchorerConfig config, Consumer<AnchorReceipt> onAnchored, AnchorJournal journal,
                          AnchorLedger ledger, Credentials credentials) {
        this.config = config;
        this.onAnchored = onAnchored;
        this.journal = journal;
        this.ledger = ledger;
        this.credentials = credentials;
        this.sender = credentials.getAddress().toLowerCase(Locale.ROOT);
        this.service = new JdkHttpService(config.rpcUrl(), config.rpcTimeout(), config.rpcTimeout());
        this.node = new ChainNode(Web3j.build(service));
        this.worker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "chain-anchorer");
            thread.setDaemon(true); // nothing is lost when the JVM stops: the journal has it all
            return thread;
        });
        // what was being anchored when the journal was last written stays wanted (a dropped nonce re-anchors it)
        ledger.unresolvedAnchors().forEach((origin, signed) ->
                offers.put(origin, new Offer(Numeric.hexStringToByteArray(signed.root()), signed.treeSize())));
    }

    /** {@link #start(ChainAnchorerConfig, Consumer)} without a listener. */
    public static ChainAnchorer start(ChainAnchorerConfig config) throws IOException {
        return start(config, anchor -> { });
    }

    /**
     * Opens the journal in the configured directory (reading what it holds, so reads work at once, node or not),
     * then starts anchoring in the background: connecting, deploying the contract if none is configured or
     * journaled, re-sending journaled unconfirmed transactions.
     *
     * @param onAnchored called on the anchorer's thread with each anchor once its receipt is journaled; keep it short
     * @throws IOException when the journal cannot be read or is locked by another anchorer
     * @throws IllegalArgumentException when the journal was written for another sender or chain
     */
    public static ChainAnchorer start(ChainAnchorerConfig config, Consumer<AnchorReceipt> onAnchored)
            throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(onAnchored, "onAnchored");
        Credentials credentials = Credentials.create(config.privateKeyHex());
        AnchorJournal journal = AnchorJournal.open(config.directory());
        try {
            AnchorLedger ledger = replay(journal);
            String address = credentials.getAddress();
            if (ledger.sender().isPresent() && !ledger.sender().get().equalsIgnoreCase(address)) {
                throw new IllegalArgumentException(journal.file() + " holds transactions of " + ledger.sender().get()
                        + ", but the configured key is " + address + "'s: one journal directory per key");
            }
            if (config.chainId().isPresent() && ledger.chainId().isPresent()
                    && config.chainId().getAsLong() != ledger.chainId().getAsLong()) {
                throw new IllegalArgumentException(journal.file() + " holds transactions of chain "
                        + ledger.chainId().getAsLong() + ", but chain " + config.chainId().getAsLong()
                        + " is configured: one journal directory per chain");
            }
            ChainAnchorer anchorer = new ChainAnchorer(config, onAnchored, journal, ledger, credentials);
            anchorer.worker.execute(anchorer::runStep);
            return anchorer;
        } catch (IOException | RuntimeException e) {
            journal.close();
            throw e;
        }
    }

    /**
     * Asks for (root, treeSize) of the log {@code origin} to be anchored at the next round. Of an origin's offers
     * only the one of the largest tree counts; one not larger than the origin's last anchor is ignored. Never blocks.
     */
    public void offer(String origin, byte[] root, long treeSize) {
        if (origin == null || origin.isBlank()) {
            throw new IllegalArgumentException("origin must not be blank");
        }
        if (root == null || root.length != 32) {
            throw new IllegalArgumentException("root must be 32 bytes, got " + (root == null ? "null" : root.length));
        }
        if (treeSize < 0) {
            throw new IllegalArgumentException("tree size must be >= 0, got " + treeSize);
        }
        Offer offer = new Offer(root.clone(), treeSize);
        offers.merge(origin, offer, (current, next) -> next.treeSize() > current.treeSize() ? next : current);
    }

    /** The first confirmed anchor of {@code origin} whose tree size is at least {@code treeSize}. */
    public Optional<AnchorReceipt> anchorCovering(String origin, long treeSize) {
        return ledger.covering(origin, treeSize);
    }

    /** The confirmed anchors of {@code origin}, by tree size. */
    public List<AnchorReceipt> anchors(String origin) {
        return ledger.anchors(origin);
    }

    /** All confirmed anchors, in chain order. */
    public List<AnchorReceipt> anchors() {
        return ledger.anchors();
    }

    /** The contract anchored to: the configured one, or the one this anchorer deployed (empty until mined). */
    public Optional<String> contract() {
        return config.contract().or(ledger::deployedContract);
    }

    /**
     * Looks the chain up for Anchored events of {@link #contract()} with this root ({@code eth_getLogs}), from
     * {@link ChainAnchorerConfig#lookupFromBlock()}, else from the block this anchorer deployed the contract in,
     * else from block 0. Blocks on the node.
     *
     * @throws IOException           when the node cannot be reached or answers with an error
     * @throws IllegalStateException when there is no contract yet
     */
    public List<AnchoredEvent> findByRoot(byte[] root) throws IOException {
        String contract = contract().orElseThrow(() -> new IllegalStateException("no contract yet: the deployment "
                + "has not been mined"));
        long fromBlock = config.lookupFromBlock().isPresent() ? config.lookupFromBlock().getAsLong()
                : contract.equals(ledger.deployedContract().orElse(null)) ? ledger.deployBlock().orElse(0) : 0;
        return AnchorContract.findByRoot(node.web3j(), contract, root, fromBlock);
    }

    /** How the anchorer is doing, as of its last step. */
    public Status status() {
        return status;
    }

    /**
     * Stops anchoring and releases the journal. Writes nothing: what is journaled stays as it is, and the next start
     * goes on from there (so stopping is no different from a crash).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        worker.shutdown();
        try {
            // a step in flight makes a few RPC calls at most; past that, interrupt it (a cut journal line is repaired
            // on the next open, and was never broadcast)
            if (!worker.awaitTermination(config.rpcTimeout().toMillis() * 3, TimeUnit.MILLISECONDS)) {
                worker.shutdownNow();
                worker.awaitTermination(config.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        try {
            journal.close();
        } catch (IOException e) {
            log.warn("closing {}: {}", journal.file(), e.toString());
        }
        service.close();
    }

    /**
     * @param consecutiveFailures     failed steps in a row (0: the last step succeeded)
     * @param retryDelay              wait before the next try after those failures (zero when healthy)
     * @param lastFailure             why the last step failed, while failing
     * @param unconfirmedTransactions journaled nonces without a final receipt yet
     */
    public record Status(int consecutiveFailures, Duration retryDelay, Optional<String> lastFailure,
                         int unconfirmedTransactions) {
    }

    private record Offer(byte[] root, long treeSize) {
    }

    private record Fees(BigInteger maxFeePerGas, BigInteger maxPriorityFeePerGas) {
    }

    private record SignedTx(String raw, String txHash) {
    }

    private static AnchorLedger replay(AnchorJournal journal) throws IOException {
        AnchorLedger ledger = new AnchorLedger();
        List<JournalEntry> entries = journal.loaded();
        for (int i = 0; i < entries.size(); i++) {
            try {
                ledger.apply(entries.get(i));
            } catch (IllegalStateException e) {
                throw new IOException(journal.file() + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return ledger;
    }

    private void runStep() {
        if (closed) {
            return;
        }
        Duration next;
        Optional<String> failure = Optional.empty();
        try {
            step();
            failures = 0;
            next = config.pollInterval();
            if (halted != null) {
                failure = Optional.of("halted: " + halted);
            }
        } catch (IOException e) {
            if (e instanceof InterruptedIOException && closed) {
                return;
            }
            // unreachable, timed out, or refused by the node: all worth retrying unchanged
            next = failed();
            failure = Optional.of(e.toString());
            log.warn("anchoring step failed ({} in a row), retrying in {}: {}", failures, next, e.toString());
        } catch (IllegalStateException e) {
            // the node or the journal contradicts the configuration: the message says how
            next = failed();
            failure = Optional.of(e.getMessage());
            log.error("anchoring step failed ({} in a row), retrying in {}: {}", failures, next, e.getMessage());
        } catch (RuntimeException e) {
            next = failed();
            failure = Optional.of(e.toString());
            log.error("anchoring step failed ({} in a row), retrying in {}", failures, next, e);
        }
        status = new Status(failures, failures == 0 ? Duration.ZERO : next, failure, ledger.unresolved().size());
        if (!closed) {
            try {
                worker.schedule(this::runStep, next.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closed meanwhile
            }
        }
    }

    private Duration failed() {
        failures++;
        chainId = -1; // reconnect first: the node may have been replaced or reset meanwhile
        Duration delay = config.retryInitial();
        for (int i = 1; i < failures && delay.compareTo(config.retryMax()) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(config.retryMax()) > 0 ? config.retryMax() : delay;
    }

    private void step() throws IOException {
        if (chainId < 0) {
            connect();
        }
        if (!ledger.unresolved().isEmpty()) {
            settle();
        }
        if (halted != null) {
            return;
        }
        Optional<String> contract = contract();
        if (contract.isEmpty()) {
            if (!ledger.deploymentUnresolved()) {
                deploy();
            }
            return;
        }
        Instant now = Instant.now();
        if (!now.isBefore(nextRoundAt) && anchorRound(contract.get())) {
            nextRoundAt = now.plus(config.interval());
        }
    }

    /** Checks the node against the configuration and the journal, and takes the nonce counter from it. */
    private void connect() throws IOException {
        long served = node.chainId();
        if (config.chainId().isPresent() && config.chainId().getAsLong() != served) {
            throw new IllegalStateException("the node serves chain " + served + ", chain "
                    + config.chainId().getAsLong() + " is configured");
        }
        if (ledger.chainId().isPresent() && ledger.chainId().getAsLong() != served) {
            throw new IllegalStateException("the node serves chain " + served + ", but " + journal.file()
                    + " holds transactions of chain " + ledger.chainId().getAsLong());
        }
        Optional<String> contract = contract();
        if (contract.isPresent() && !node.hasCode(contract.get())) {
            throw new IllegalStateException("no contract code at " + contract.get() + " on chain " + served
                    + ": a wrong address, or the node's chain was reset");
        }
        long pending = node.nonce(sender, DefaultBlockParameterName.PENDING);
        // never below a journaled nonce, even one the node has not seen yet (it is re-sent, not reused)
        nextNonce = Math.max(pending, ledger.highestNonce() + 1);
        chainId = served;
        log.info("anchoring on chain {} as {}, contract {}, next nonce {}, {} unconfirmed transaction(s) journaled",
                served, sender, contract.orElse("(to deploy)"), nextNonce, ledger.unresolved().size());
    }

    /** Looks for receipts of journaled transactions; re-sends those the node lost, replaces those stuck. */
    private void settle() throws IOException {
        // read before the receipts: a nonce below this count was mined before we looked, so had that been ours,
        // its receipt would be there
        long mined = node.nonce(sender, DefaultBlockParameterName.LATEST);
        long head = -1;
        boolean resync = false;
        for (Map.Entry<Long, List<JournalEntry.Signed>> unresolved : ledger.unresolved().entrySet()) {
            long nonce = unresolved.getKey();
            List<JournalEntry.Signed> attempts = unresolved.getValue();
            JournalEntry.Signed minedAttempt = null;
            TransactionReceipt receipt = null;
            for (int i = attempts.size() - 1; i >= 0 && receipt == null; i--) {
                Optional<TransactionReceipt> found = node.receipt(attempts.get(i).txHash());
                if (found.isPresent()) {
                    receipt = found.get();
                    minedAttempt = attempts.get(i);
                }
            }
            if (receipt != null) {
                if (config.confirmations() > 1) {
                    head = head < 0 ? node.blockNumber() : head;
                    if (head - receipt.getBlockNumber().longValueExact() + 1 < config.confirmations()) {
                        continue;
                    }
                }
                resolve(minedAttempt, receipt);
            } else if (nonce < mined) {
                record(new JournalEntry.Dropped(nonce, "nonce " + nonce + " was spent by a transaction not in this "
                        + "journal (is the key used elsewhere?)", Instant.now().toString()));
                log.warn("nonce {} was spent by another transaction of {}: anchor to be signed again", nonce, sender);
                resync = true;
            } else {
                JournalEntry.Signed newest = attempts.get(attempts.size() - 1);
                if (!node.knows(newest.txHash())) {
                    resend(newest);
                } else if (stuck(newest)) {
                    replace(newest);
                }
            }
        }
        if (resync) {
            nextNonce = Math.max(nextNonce, node.nonce(sender, DefaultBlockParameterName.PENDING));
        }
    }

    private void resend(JournalEntry.Signed signed) throws IOException {
        try {
            node.sendRaw(signed.raw());
            log.info("re-sent journaled transaction {} (nonce {})", signed.txHash(), signed.nonce());
        } catch (RpcException e) {
            if (!stuck(signed)) {
                throw e;
            }
            // e.g. its fees are below today's base fee: same nonce, same anchor, fresh fees
            log.warn("journaled transaction {} (nonce {}) refused: {}; replacing it", signed.txHash(),
                    signed.nonce(), e.getMessage());
            replace(signed);
        }
    }

    private boolean stuck(JournalEntry.Signed signed) {
        return config.replaceAfter().isPresent()
                && !Instant.now().isBefore(signed.signedInstant().plus(config.replaceAfter().get()));
    }

    private void replace(JournalEntry.Signed old) throws IOException {
        Fees market = fees();
        BigInteger tip = market.maxPriorityFeePerGas().max(bump(old.maxPriorityFeePerGas()));
        BigInteger maxFee = market.maxFeePerGas().max(bump(old.maxFeePerGas()))
                .min(market.maxFeePerGas().multiply(BigInteger.valueOf(MAX_FEE_OVER_MARKET)));
        if (maxFee.compareTo(bump(old.maxFeePerGas())) < 0) {
            log.warn("transaction {} (nonce {}) is stuck, but a replacement would pay over {} times the market fee: "
                    + "waiting", old.txHash(), old.nonce(), MAX_FEE_OVER_MARKET);
            return;
        }
        Fees fees = new Fees(maxFee, tip.min(maxFee));
        JournalEntry.Signed replacement;
        if (old instanceof JournalEntry.AnchorSigned a) {
            replacement = signAnchor(a.nonce(), a.contract(), a.origin(), Numeric.hexStringToByteArray(a.root()),
                    a.treeSize(), a.gasLimit(), fees);
        } else {
            replacement = signDeploy(old.nonce(), old.gasLimit(), fees);
        }
        record(replacement);
        log.info("replacing transaction {} (nonce {}, unmined since {}) with {} at max fee {} wei/gas",
                old.txHash(), old.nonce(), old.signedAt(), replacement.txHash(), fees.maxFeePerGas());
        node.sendRaw(replacement.raw());
    }

    private void resolve(JournalEntry.Signed signed, TransactionReceipt receipt) throws IOException {
        long block = receipt.getBlockNumber().longValueExact();
        long gasUsed = receipt.getGasUsed().longValueExact();
        String now = Instant.now().toString();
        if (!receipt.isStatusOK()) {
            String reason = "status " + receipt.getStatus()
                    + (receipt.getRevertReason() == null ? "" : ": " + receipt.getRevertReason());
            record(new JournalEntry.Reverted(signed.nonce(), signed.txHash(), block, gasUsed, reason, now));
            log.warn("transaction {} (nonce {}) reverted in block {} ({}): to be tried again", signed.txHash(),
                    signed.nonce(), block, reason);
            return;
        }
        if (signed instanceof JournalEntry.DeploySigned deploy) {
            String created = receipt.getContractAddress();
            if (created == null || !created.equalsIgnoreCase(deploy.contract())) {
                halt(signed, block, gasUsed, "deployment created " + created + ", not " + deploy.contract());
                return;
            }
            record(new JournalEntry.Deployed(chainId, deploy.contract(), deploy.nonce(), deploy.txHash(), block,
                    gasUsed, now));
            log.info("deployed the Anchor contract at {} in block {} ({} gas)", deploy.contract(), block, gasUsed);
            return;
        }
        JournalEntry.AnchorSigned anchor = (JournalEntry.AnchorSigned) signed;
        byte[] root = Numeric.hexStringToByteArray(anchor.root());
        AnchoredEvent event = null;
        for (Log logEntry : receipt.getLogs()) {
            Optional<AnchoredEvent> decoded = AnchorContract.decode(logEntry, anchor.contract());
            if (decoded.isPresent() && Arrays.equals(decoded.get().root().bytes(), root)
                    && decoded.get().treeSize() == anchor.treeSize()) {
                event = decoded.get();
            }
        }
        if (event == null) {
            halt(signed, block, gasUsed, "the receipt has no Anchored(" + anchor.root() + ", " + anchor.treeSize()
                    + ") event of " + anchor.contract() + ": is that address an Anchor contract?");
            return;
        }
        BigInteger price = receipt.getEffectiveGasPrice() == null ? null
                : Numeric.decodeQuantity(receipt.getEffectiveGasPrice());
        record(new JournalEntry.Anchored(chainId, anchor.contract(), anchor.origin(), anchor.root(),
                anchor.treeSize(), anchor.nonce(), anchor.txHash(), block, event.logIndex(), gasUsed, price, now));
        log.info("anchored {} size {} in block {} ({} gas)", anchor.origin(), anchor.treeSize(), block, gasUsed);
        AnchorReceipt confirmed = ledger.covering(anchor.origin(), anchor.treeSize()).orElseThrow();
        try {
            onAnchored.accept(confirmed);
        } catch (RuntimeException e) {
            log.error("anchor listener failed on {}", confirmed, e);
        }
    }

    /** Journals a mined transaction that did not do what ours do, and stops sending: more would only waste gas. */
    private void halt(JournalEntry.Signed signed, long block, long gasUsed, String reason) throws IOException {
        record(new JournalEntry.Reverted(signed.nonce(), signed.txHash(), block, gasUsed, reason,
                Instant.now().toString()));
        halted = reason;
        log.error("anchoring halted until restarted with a corrected configuration: {}", reason);
    }

    private void deploy() throws IOException {
        Fees fees = fees();
        long gasLimit = withMargin(node.estimateGas(sender, null, AnchorContract.creationBytecode()));
        JournalEntry.DeploySigned deploy = signDeploy(nextNonce, gasLimit, fees);
        record(deploy);
        nextNonce++;
        log.info("deploying the Anchor contract to {} (transaction {}, nonce {})", deploy.contract(),
                deploy.txHash(), deploy.nonce());
        node.sendRaw(deploy.raw()); // a failure leaves it journaled: settle() re-sends it
    }

    /** Signs and sends one anchor per origin with something new; true when it sent any. */
    private boolean anchorRound(String contract) throws IOException {
        Fees fees = null;
        boolean sent = false;
        for (Map.Entry<String, Offer> entry : new TreeMap<>(offers).entrySet()) {
            String origin = entry.getKey();
            Offer offer = entry.getValue();
            if (offer.treeSize() <= ledger.anchoredSize(origin) || ledger.anchorUnresolved(origin)) {
                continue;
            }
            fees = fees == null ? fees() : fees;
            long gasLimit = withMargin(node.estimateGas(sender, contract,
                    AnchorContract.anchorCall(offer.root(), offer.treeSize())));
            JournalEntry.AnchorSigned anchor = signAnchor(nextNonce, contract, origin, offer.root(),
                    offer.treeSize(), gasLimit, fees);
            record(anchor);
            nextNonce++;
            sent = true;
            log.info("anchoring {} size {} (transaction {}, nonce {})", origin, offer.treeSize(), anchor.txHash(),
                    anchor.nonce());
            node.sendRaw(anchor.raw()); // a failure leaves it journaled: settle() re-sends it
        }
        return sent;
    }

    private JournalEntry.AnchorSigned signAnchor(long nonce, String contract, String origin, byte[] root,
                                                 long treeSize, long gasLimit, Fees fees) {
        SignedTx tx = sign(nonce, contract, AnchorContract.anchorCall(root, treeSize), gasLimit, fees);
        return new JournalEntry.AnchorSigned(chainId, sender, contract, origin, Numeric.toHexString(root), treeSize,
                nonce, tx.txHash(), tx.raw(), gasLimit, fees.maxFeePerGas(), fees.maxPriorityFeePerGas(),
                Instant.now().toString());
    }

    private JournalEntry.DeploySigned signDeploy(long nonce, long gasLimit, Fees fees) {
        SignedTx tx = sign(nonce, "", AnchorContract.creationBytecode(), gasLimit, fees);
        String address = ContractUtils.generateContractAddress(sender, BigInteger.valueOf(nonce))
                .toLowerCase(Locale.ROOT);
        return new JournalEntry.DeploySigned(chainId, sender, address, nonce, tx.txHash(), tx.raw(), gasLimit,
                fees.maxFeePerGas(), fees.maxPriorityFeePerGas(), Instant.now().toString());
    }

    /** An EIP-1559 transaction, value 0; {@code to} empty for a contract creation. */
    private SignedTx sign(long nonce, String to, String data, long gasLimit, Fees fees) {
        RawTransaction tx = RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce),
                BigInteger.valueOf(gasLimit), to, BigInteger.ZERO, data, fees.maxPriorityFeePerGas(),
                fees.maxFeePerGas());
        String raw = Numeric.toHexString(TransactionEncoder.signMessage(tx, credentials));
        return new SignedTx(raw, Hash.sha3(raw));
    }

    /** Checked by the ledger, then on disk, then in memory: nothing is acted on that the journal lacks. */
    private void record(JournalEntry entry) throws IOException {
        ledger.check(entry);
        journal.append(entry);
        ledger.apply(entry);
    }

    /** Market fees: twice the latest base fee (room for six full blocks of +12.5 %) plus the node's tip. */
    private Fees fees() throws IOException {
        BigInteger tip = node.priorityFee(FALLBACK_PRIORITY_FEE);
        BigInteger maxFee = node.baseFee().multiply(BigInteger.TWO).add(tip);
        return new Fees(maxFee, tip);
    }

    private static long withMargin(BigInteger estimate) {
        return estimate.multiply(BigInteger.valueOf(100 + GAS_MARGIN_PERCENT)).divide(BigInteger.valueOf(100))
                .longValueExact();
    }

    private static BigInteger bump(BigInteger fee) {
        return fee.multiply(BigInteger.valueOf(100 + FEE_BUMP_PERCENT)).divide(BigInteger.valueOf(100))
                .add(BigInteger.ONE);
    }
}
