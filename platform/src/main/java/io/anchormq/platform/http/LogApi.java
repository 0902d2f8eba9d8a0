package io.anchormq.platform.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.anchoring.chain.AnchorReceipt;
import io.anchormq.anchoring.entry.LogEntry;
import io.anchormq.anchoring.log.WorkspaceLog;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.proof.ConsistencyProofText;
import io.anchormq.platform.anchoring.AnchoringService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only HTTP face of the integrity log, under {@code /log/<workspace>/}: the C2SP tlog-tiles resources
 * ({@code checkpoint}, {@code tile/...}, {@code tile/entries/...}) served from the log's directory, plus proofs,
 * lookups, consistency proofs, the verifier keys and the chain anchors. Errors are JSON: {@code {"error": "..."}}.
 */
final class LogApi extends AllDirectives {

    private static final Logger log = LoggerFactory.getLogger(LogApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** tlog-tiles resource paths below {@code tile/}: level or "entries", N in 3-digit elements, optional width. */
    private static final Pattern TILE_PATH = Pattern.compile(
            "(entries|[0-9]|[1-5][0-9]|6[0-3])/(x[0-9]{3}/)*[0-9]{3}(\\.p/([1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final CacheControl IMMUTABLE = CacheControl.create(CacheDirectives.PUBLIC,
            CacheDirectives.MAX_AGE(31_536_000), CacheDirectives.IMMUTABLE);
    private static final CacheControl MUTABLE = CacheControl.create(CacheDirectives.NO_CACHE);

    /** Who may read a workspace's log: given the workspace and the request's Authorization header, if any. */
    interface ReadAccess {
        boolean mayRead(String workspace, Optional<String> authorization);
    }

    private final Function<String, Optional<AnchoringService>> logs;
    private final ReadAccess access;

    /** @param logs the open log of a workspace, if it has one */
    LogApi(Function<String, Optional<AnchoringService>> logs, ReadAccess access) {
        this.logs = logs;
        this.access = access;
    }

    Route route() {
        return handleExceptions(errors(), () -> handleRejections(rejections(), () ->
                pathPrefix("log", () -> pathPrefix(PathMatchers.segment(), workspace -> get(() ->
                        optionalHeaderValueByName("Authorization", authorization -> {
                    Optional<AnchoringService> open = logs.apply(workspace);
                    if (open.isEmpty() || !access.mayRead(workspace, authorization)) {
                        // the same answer whether it does not exist or is not this caller's to read: no leak
                        return complete(error(StatusCodes.NOT_FOUND, "no log of workspace " + workspace
                                + " readable with the credentials given"));
                    }
                    AnchoringService anchoring = open.get();
                    WorkspaceLog wl = anchoring.log();
                    return concat(
                            path("checkpoint", () -> parameterOptional("size", size -> checkpoint(wl, size))),
                            pathPrefix("tile", () -> extractUnmatchedPath(rest -> tile(anchoring, rest))),
                            path("proof", () -> parameterOptional("index", index ->
                                    parameterOptional("clientId", clientId ->
                                            parameterOptional("topic", topic ->
                                                    parameterOptional("payloadSha256", sha ->
                                                            io(() -> proof(anchoring, index, clientId, topic,
                                                                    sha))))))),
                            path("lookup", () -> parameterOptional("clientId", clientId ->
                                    parameterOptional("topic", topic -> parameterOptional("payloadSha256", sha ->
                                            clientId.isEmpty() || topic.isEmpty() || sha.isEmpty()
                                                    ? complete(error(StatusCodes.BAD_REQUEST,
                                                    "give clientId, topic and payloadSha256 (64 hex digits)"))
                                                    : io(() -> lookup(wl, clientId.get(), topic.get(),
                                                    sha.get())))))),
                            path("consistency", () -> parameterOptional("from", from ->
                                    parameterOptional("to", to -> from.isEmpty() || to.isEmpty()
                                            ? complete(error(StatusCodes.BAD_REQUEST, "give from and to (tree sizes)"))
                                            : consistency(wl, from.get(), to.get())))),
                            path(PathMatchers.segment("entry").slash(PathMatchers.segment()), index ->
                                    io(() -> entry(wl, index))),
                            path("key", () -> keys(wl)),
                            path("anchors", () -> anchors(anchoring)),
                            complete(error(StatusCodes.NOT_FOUND, "no such log resource")));
                }))))));
    }

    private Route checkpoint(WorkspaceLog wl, Optional<String> size) {
        if (size.isEmpty()) {
            return text(wl.checkpoint(), MUTABLE);
        }
        long treeSize = number("size", size.get());
        if (treeSize > wl.size()) {
            return complete(error(StatusCodes.NOT_FOUND, "the log has " + wl.size() + " entries, not " + treeSize));
        }
        return text(wl.checkpoint(treeSize), IMMUTABLE);
    }

    private Route tile(AnchoringService anchoring, String rest) {
        WorkspaceLog wl = anchoring.log();
        String relative = rest.startsWith("/") ? rest.substring(1) : rest;
        if (!TILE_PATH.matcher(relative).matches()) {
            return complete(error(StatusCodes.NOT_FOUND, "not a tile path: tile/" + relative));
        }
        Path file = anchoring.settings().logDirectory().resolve("tile").resolve(relative);
        if (Files.isRegularFile(file)) {
            return respondWithHeader(IMMUTABLE, () -> getFromFile(file.toFile(),
                    ContentTypes.APPLICATION_OCTET_STREAM));
        }
        return io(() -> {
            byte[] unpublished = wl.tile(relative); // a partial tile of a checkpoint newer than the file's
            return unpublished == null ? complete(error(StatusCodes.NOT_FOUND, "no tile tile/" + relative))
                    : respondWithHeader(IMMUTABLE, () -> complete(HttpEntities.create(
                            ContentTypes.APPLICATION_OCTET_STREAM, unpublished)));
        });
    }

    private Route proof(AnchoringService anchoring, Optional<String> index, Optional<String> clientId, Optional<String> topic,
                        Optional<String> sha) throws IOException {
        WorkspaceLog wl = anchoring.log();
        long leaf;
        if (index.isPresent()) {
            leaf = number("index", index.get());
        } else if (clientId.isPresent() && topic.isPresent() && sha.isPresent()) {
            List<Long> found = wl.find(clientId.get(), topic.get(), sha256(sha.get()));
            if (found.isEmpty()) {
                return complete(error(StatusCodes.NOT_FOUND, "no entry of client " + clientId.get() + " on topic "
                        + topic.get() + " with that payload hash"));
            }
            leaf = found.get(0); // the first time this payload was logged; /lookup lists every one
        } else {
            return complete(error(StatusCodes.BAD_REQUEST,
                    "give index, or clientId, topic and payloadSha256 (64 hex digits)"));
        }
        if (leaf >= wl.size()) {
            return complete(error(StatusCodes.NOT_FOUND, "the log has " + wl.size() + " entries; index " + leaf
                    + " is not (yet) covered by a checkpoint"));
        }
        return text(anchoring.proof(leaf).format(), MUTABLE);
    }

    private Route lookup(WorkspaceLog wl, String clientId, String topic, String sha) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        ArrayNode indexes = n.putArray("indexes");
        wl.find(clientId, topic, sha256(sha)).forEach(indexes::add);
        return json(StatusCodes.OK, n);
    }

    private Route consistency(WorkspaceLog wl, String from, String to) {
        long oldSize = number("from", from);
        long newSize = number("to", to);
        if (oldSize > newSize || newSize > wl.size()) {
            return complete(error(StatusCodes.BAD_REQUEST, "need 0 <= from <= to <= " + wl.size() + ", got from="
                    + oldSize + " to=" + newSize));
        }
        return text(ConsistencyProofText.format(wl.consistencyProof(oldSize, newSize)), IMMUTABLE);
    }

    private Route entry(WorkspaceLog wl, String index) throws IOException {
        long i = number("index", index);
        if (i >= wl.size()) {
            return complete(error(StatusCodes.NOT_FOUND, "the log has " + wl.size() + " entries"));
        }
        LogEntry e = wl.entry(i);
        ObjectNode n = JSON.createObjectNode();
        n.put("index", i);
        n.put("workspace", e.workspace());
        n.put("clientId", e.clientId());
        n.put("topic", e.topic());
        n.put("qos", e.qos());
        n.put("payloadSha256", HexFormat.of().formatHex(e.payloadSha256()));
        n.put("receivedAt", Instant.EPOCH.plusNanos(e.receivedAtMicros() * 1000).toString());
        n.put("salt", Base64.getEncoder().encodeToString(e.salt()));
        n.put("leafHash", Base64.getEncoder().encodeToString(e.leafHash()));
        n.put("entry", Base64.getEncoder().encodeToString(e.encode()));
        return json(StatusCodes.OK, n);
    }

    private Route keys(WorkspaceLog wl) {
        return text(wl.verifiers().stream().map(NoteVerifier::format).collect(Collectors.joining("\n", "", "\n")),
                MUTABLE);
    }

    private Route anchors(AnchoringService anchoring) {
        ArrayNode list = JSON.createArrayNode();
        for (AnchorReceipt a : anchoring.anchors()) {
            ObjectNode n = list.addObject();
            n.put("treeSize", a.treeSize());
            n.put("root", Base64.getEncoder().encodeToString(a.root().bytes()));
            n.put("chainId", a.chainId());
            n.put("contract", a.contract());
            n.put("txHash", a.txHash());
            n.put("blockNumber", a.blockNumber());
            n.put("logIndex", a.logIndex());
        }
        return json(StatusCodes.OK, list);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** A route that reads the log's files. */
    @FunctionalInterface
    private interface LogRead {
        Route get() throws IOException;
    }

    private static Route io(LogRead read) {
        try {
            return read.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Route text(String body, CacheControl cache) {
        return respondWithHeader(cache, () -> complete(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, body)));
    }

    private Route json(StatusCode status, Object body) {
        return complete(HttpResponse.create().withStatus(status)
                .withEntity(ContentTypes.APPLICATION_JSON, body.toString()));
    }

    private static long number(String name, String value) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadRequest(name + " must be a non-negative integer, got \"" + value + "\"");
    }

    private static byte[] sha256(String hex) {
        if (!SHA256_HEX.matcher(hex).matches()) {
            throw new BadRequest("payloadSha256 must be 64 hex digits");
        }
        return HexFormat.of().parseHex(hex.toLowerCase());
    }

    static HttpResponse error(StatusCode status, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, n.toString());
    }

    private ExceptionHandler errors() {
        return ExceptionHandler.newBuilder()
                .match(BadRequest.class, e -> complete(error(StatusCodes.BAD_REQUEST, e.getMessage())))
                .match(IllegalArgumentException.class, e -> complete(error(StatusCodes.BAD_REQUEST, e.getMessage())))
                .match(Exception.class, e -> {
                    log.error("log API request failed", e);
                    return complete(error(StatusCodes.INTERNAL_SERVER_ERROR, "internal error: " + e));
                })
                .build();
    }

    private static RejectionHandler rejections() {
        // pekko's default rejections as JSON, so every 4xx carries {"error": ...}
        return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
            if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response;
            }
            String message = response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict s
                    ? s.getData().utf8String() : response.status().reason();
            return error(response.status(), message);
        });
    }

    /** A request the client got wrong. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }
}
