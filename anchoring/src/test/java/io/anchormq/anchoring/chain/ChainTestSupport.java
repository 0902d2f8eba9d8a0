package io.anchormq.anchoring.chain;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.methods.response.VoidResponse;

/** Waiting, journal reading and node control shared by the chain tests. */
final class ChainTestSupport {

    static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChainTestSupport() {
    }

    /** Config for fast tests: short interval, polls and retries. */
    static ChainAnchorerConfig fastConfig(GanacheNode node, Path directory) {
        return ChainAnchorerConfig.of(node.url(), GanacheNode.KEY, directory)
                .withInterval(Duration.ofMillis(200))
                .withPollInterval(Duration.ofMillis(100))
                .withRpcTimeout(Duration.ofSeconds(5))
                .withRetry(Duration.ofMillis(100), Duration.ofMillis(800));
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + WAIT + ": " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static <T> T awaitValue(String what, Supplier<Optional<T>> value) {
        List<T> box = new ArrayList<>(1);
        await(what, () -> value.get().map(box::add).orElse(false));
        return box.get(0);
    }

    /** SHA-256 of a label: distinct, realistic 32-byte roots. */
    static byte[] root(String label) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The journal's lines as JSON, read as any tool would (the anchorer holds the lock, not the reader). */
    static List<JsonNode> journal(Path directory) {
        try {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(directory.resolve(AnchorJournal.FILE_NAME))) {
                lines.add(JSON.readTree(line));
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<JsonNode> journal(Path directory, String type) {
        return journal(directory).stream().filter(n -> n.get("type").asText().equals(type)).toList();
    }

    /** ganache's miner_stop / miner_start: transactions wait in the mempool while stopped. */
    static void mining(JdkHttpService service, boolean on) throws IOException {
        VoidResponse response = new Request<>(on ? "miner_start" : "miner_stop", List.of(), service,
                VoidResponse.class).send();
        if (response.hasError()) {
            throw new IOException(response.getError().getMessage());
        }
    }
}
