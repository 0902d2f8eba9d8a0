package io.anchormq.platform.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.RefreshAheadCachingJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.io.Closeable;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An identity provider whose JWTs devices present as their MQTT password: one element of
 * {@code anchormq.tokens.external-issuers}. A token is its when its {@code iss} is this issuer; it is valid when one
 * of the issuer's keys (its JWK set, fetched from a URL or read from a file, cached) signed it with one of the
 * configured algorithms, for the configured audience, not expired and already valid (within the clock skew), and it
 * names a device, in the issuer's workspace or in the one its workspace claim names.
 *
 * <p>Whether that device exists is for {@link DeviceAuthenticator} to check: the store is the authority on devices
 * (their groups, their ACLs, and deleting one locks its tokens out). A token of an external issuer names no
 * credential row, so it cannot be revoked by id: only by deleting the device, or by waiting for its expiry.
 */
final class ExternalIssuer implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ExternalIssuer.class);

    /** Signature algorithms with a public key: HMAC and "none" cannot be configured at all. */
    private static final List<JWSAlgorithm> ALGORITHMS = List.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384,
            JWSAlgorithm.ES512, JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256,
            JWSAlgorithm.PS384, JWSAlgorithm.PS512);
    private static final Set<String> SETTINGS = Set.of("issuer", "jwks-url", "jwks-file", "audience", "workspace",
            "workspace-claim", "device-claim", "algorithms", "refresh", "fetch-timeout", "min-refetch-interval");
    private static final Duration DEFAULT_REFRESH = Duration.ofMinutes(10);
    private static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration DEFAULT_MIN_REFETCH_INTERVAL = Duration.ofSeconds(30);
    // RFC 9068 access tokens are typed at+jwt; others JWT or not at all
    private static final DefaultJOSEObjectTypeVerifier<SecurityContext> TYPES = new DefaultJOSEObjectTypeVerifier<>(
            JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null);

    /** What a token of this issuer comes to. */
    sealed interface Verdict permits Valid, Invalid, Unavailable {
    }

    /** Signed by the issuer and valid now: it names {@code device} of {@code workspace}. */
    record Valid(String workspace, String device, String credential) implements Verdict {
    }

    /** Not a valid token of this issuer. */
    record Invalid(String why) implements Verdict {
    }

    /** Not decidable now: the issuer's keys cannot be had (fetch failed and none cached). */
    record Unavailable(String why) implements Verdict {
    }

    private final String issuer;
    private final String keysFrom;
    private final String workspace;
    private final String workspaceClaim;
    private final String deviceClaim;
    private final Set<JWSAlgorithm> algorithms;
    private final Duration refresh;
    private final Keys keys;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    private ExternalIssuer(String issuer, String keysFrom, Set<String> audience, String workspace,
                           String workspaceClaim, String deviceClaim, Set<JWSAlgorithm> algorithms, Duration refresh,
                           Duration clockSkew, Keys keys) {
        this.issuer = issuer;
        this.keysFrom = keysFrom;
        this.workspace = workspace;
        this.workspaceClaim = workspaceClaim;
        this.deviceClaim = deviceClaim;
        this.algorithms = algorithms;
        this.refresh = refresh;
        this.keys = keys;
        processor.setJWSTypeVerifier(TYPES);
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        Set<String> required = new HashSet<>(Set.of("exp", deviceClaim));
        if (workspaceClaim != null) {
            required.add(workspaceClaim);
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), required, null);
        claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, clockSkew.toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
    }

    /**
     * The issuer an element of the list describes, checked now so that a mistake stops the start with the setting
     * it is in; a key URL is not fetched yet (the first token fetches it), a key file is read.
     *
     * @param where the element's path in messages, e.g. {@code anchormq.tokens.external-issuers[0]}
     * @param refresher the thread that refreshes the cached keys ahead of their expiry
     */
    static ExternalIssuer from(Config entry, String where, Duration clockSkew, ScheduledExecutorService refresher) {
        try {
            Set<String> unknown = new TreeSet<>(entry.root().keySet());
            unknown.removeAll(SETTINGS);
            if (!unknown.isEmpty()) {
                throw new IllegalStateException(where + ": unknown setting " + unknown + "; the settings are "
                        + new TreeSet<>(SETTINGS));
            }
            String issuer = required(entry, where, "issuer");
            boolean byUrl = entry.hasPath("jwks-url");
            if (byUrl == entry.hasPath("jwks-file")) {
                throw new IllegalStateException(where + ": exactly one of jwks-url and jwks-file is required (issuer "
                        + issuer + ")");
            }
            Set<String> audience = audience(entry, where);
            if (entry.hasPath("workspace") == entry.hasPath("workspace-claim")) {
                throw new IllegalStateException(where + ": exactly one of workspace (every device of this issuer is"
                        + " in that workspace) and workspace-claim (the claim that names it) is required (issuer "
                        + issuer + ")");
            }
            String workspace = entry.hasPath("workspace") ? required(entry, where, "workspace") : null;
            String workspaceClaim = entry.hasPath("workspace-claim") ? required(entry, where, "workspace-claim")
                    : null;
            String deviceClaim = entry.hasPath("device-claim") ? required(entry, where, "device-claim") : "sub";
            Set<JWSAlgorithm> algorithms = algorithms(entry, where);
            Duration refresh = duration(entry, "refresh", DEFAULT_REFRESH);
            Duration fetchTimeout = duration(entry, "fetch-timeout", DEFAULT_FETCH_TIMEOUT);
            Duration minRefetch = duration(entry, "min-refetch-interval", DEFAULT_MIN_REFETCH_INTERVAL);
            if (fetchTimeout.compareTo(Duration.ofMillis(100)) < 0
                    || fetchTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalStateException(where + ".fetch-timeout must be from 100ms to 1m: " + fetchTimeout);
            }
            // the cache is refreshed a quarter of refresh ahead of its expiry, and a fetch may take connect and read
            if (refresh.compareTo(fetchTimeout.multipliedBy(4)) < 0 || refresh.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalStateException(where + ".refresh must be at least 1s and 4 x fetch-timeout ("
                        + fetchTimeout + "): " + refresh);
            }
            if (minRefetch.isNegative() || minRefetch.isZero() || minRefetch.compareTo(refresh) > 0) {
                throw new IllegalStateException(where + ".min-refetch-interval must be more than 0 and at most"
                        + " refresh (" + refresh + "): " + minRefetch);
            }
            URL url;
            String keysFrom;
            if (byUrl) {
                String text = required(entry, where, "jwks-url");
                url = httpUrl(text, where);
                keysFrom = text;
            } else {
                Path file = Path.of(required(entry, where, "jwks-file")).toAbsolutePath();
                checkKeyFile(file, algorithms, where);
                url = file.toUri().toURL();
                keysFrom = file.toString();
            }
            int timeout = (int) fetchTimeout.toMillis();
            URLBasedJWKSetSource<SecurityContext> fetch = new URLBasedJWKSetSource<>(url,
                    new DefaultResourceRetriever(timeout, timeout, JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT));
            Keys keys = new Keys(issuer, keysFrom, fetch, refresh, fetchTimeout, minRefetch, refresher);
            return new ExternalIssuer(issuer, keysFrom, audience, workspace, workspaceClaim, deviceClaim, algorithms,
                    refresh, clockSkew, keys);
        } catch (ConfigException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        } catch (MalformedURLException e) {
            throw new IllegalStateException(where + ".jwks-file: " + e.getMessage(), e);
        }
    }

    String issuer() {
        return issuer;
    }

    /** For the start-up log. */
    String description() {
        return "external token issuer " + issuer + ": keys from " + keysFrom + " (" + algorithms.stream()
                .map(JWSAlgorithm::getName).sorted().collect(Collectors.joining(", ")) + ", refreshed every "
                + refresh + "), device from claim " + deviceClaim + (workspace != null ? ", in workspace " + workspace
                : ", workspace from claim " + workspaceClaim);
    }

    /** Runs on the authenticator's pool: it may fetch the key set, within the fetch timeout. */
    Verdict verify(String token) {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (JWKSetUnavailableException e) {
            return new Unavailable("the keys of " + issuer + " cannot be had: " + e.getMessage());
        } catch (ParseException | BadJOSEException | JOSEException e) {
            return invalid(e.getMessage());
        }
        String ws = workspace != null ? workspace : text(claims.getClaim(workspaceClaim));
        String device = text(claims.getClaim(deviceClaim));
        if (ws == null || device == null) {
            return invalid("the workspace or device claim is not a string");
        }
        String jti = claims.getJWTID();
        return new Valid(ws, device, "jwt:" + issuer + (jti == null ? "" : "#" + jti));
    }

    /** The client is told no more than "not valid"; whoever sets up the issuer may want to know why. */
    private Invalid invalid(String why) {
        log.debug("a token of issuer {} is not valid: {}", issuer, why);
        return new Invalid(why);
    }

    private static String text(Object claim) {
        return claim instanceof String s && !s.isBlank() ? s : null;
    }

    @Override
    public void close() {
        keys.close();
    }

    // ---- settings -----------------------------------------------------------------------------------------------

    private static String required(Config entry, String where, String key) {
        if (!entry.hasPath(key)) {
            throw new IllegalStateException(where + "." + key + " is required");
        }
        String value = entry.getString(key).trim();
        if (value.isEmpty()) {
            throw new IllegalStateException(where + "." + key + " must not be empty");
        }
        return value;
    }

    private static Duration duration(Config entry, String key, Duration otherwise) {
        return entry.hasPath(key) ? entry.getDuration(key) : otherwise;
    }

    /** A string or a list of strings; a token must name one of them in its aud. */
    private static Set<String> audience(Config entry, String where) {
        if (!entry.hasPath("audience")) {
            throw new IllegalStateException(where + ".audience is required: without it a token the issuer made for"
                    + " any other service would do");
        }
        List<String> values = entry.getValue("audience").valueType() == ConfigValueType.LIST
                ? entry.getStringList("audience") : List.of(entry.getString("audience"));
        Set<String> audience = new LinkedHashSet<>();
        for (String v : values) {
            if (v.isBlank()) {
                throw new IllegalStateException(where + ".audience must not hold an empty value");
            }
            audience.add(v.trim());
        }
        if (audience.isEmpty()) {
            throw new IllegalStateException(where + ".audience must name at least one audience");
        }
        return Set.copyOf(audience);
    }

    private static Set<JWSAlgorithm> algorithms(Config entry, String where) {
        List<String> names = entry.hasPath("algorithms") ? entry.getStringList("algorithms")
                : List.of("ES256", "RS256");
        if (names.isEmpty()) {
            throw new IllegalStateException(where + ".algorithms must name at least one algorithm");
        }
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        for (String name : names) {
            JWSAlgorithm a = ALGORITHMS.stream().filter(k -> k.getName().equals(name.trim())).findFirst()
                    .orElseThrow(() -> new IllegalStateException(where + ".algorithms: " + name + " is not one of "
                            + ALGORITHMS.stream().map(JWSAlgorithm::getName).toList()
                            + " (signatures with a public key; HMAC and none are never accepted)"));
            algorithms.add(a);
        }
        return Set.copyOf(algorithms);
    }

    private static URL httpUrl(String text, String where) {
        try {
            URI uri = new URI(text);
            if (!("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))
                    || uri.getHost() == null) {
                throw new IllegalStateException(where + ".jwks-url must be an http or https URL with a host: " + text);
            }
            return uri.toURL();
        } catch (URISyntaxException | MalformedURLException | IllegalArgumentException e) {
            throw new IllegalStateException(where + ".jwks-url is not a URL: " + text + " (" + e.getMessage() + ")",
                    e);
        }
    }

    /** The file must be there and hold a key that one of the algorithms can use; it is read again on refresh. */
    private static void checkKeyFile(Path file, Set<JWSAlgorithm> algorithms, String where) {
        if (!Files.isReadable(file)) {
            throw new IllegalStateException(where + ".jwks-file cannot be read: " + file);
        }
        JWKSet set;
        try {
            set = JWKSet.load(file.toFile());
        } catch (IOException | ParseException e) {
            throw new IllegalStateException(where + ".jwks-file is not a JWK set: " + file + " (" + e.getMessage()
                    + ")", e);
        }
        Set<KeyType> usable = new HashSet<>();
        for (JWSAlgorithm a : algorithms) {
            usable.add(JWSAlgorithm.Family.EC.contains(a) ? KeyType.EC : KeyType.RSA);
        }
        if (set.getKeys().stream().noneMatch(k -> usable.contains(k.getKeyType()))) {
            throw new IllegalStateException(where + ".jwks-file holds no " + usable + " key for the algorithms "
                    + algorithms + ": " + file);
        }
    }

    // ---- keys ---------------------------------------------------------------------------------------------------

    /**
     * The issuer's key set, cached for {@code refresh} and refreshed a quarter of that ahead of its expiry on the
     * refresher's thread, so that connecting devices seldom wait for a fetch; when a fetch fails the set fetched
     * before is used for up to ten times {@code refresh} (an outage of the identity provider does not lock out the
     * fleet at its next reconnect).
     *
     * <p>A token whose key is not in the cached set makes one fetch at once, so that a key the issuer has just
     * rotated in is found; at most one such fetch per {@code min-refetch-interval}, so that tokens with made-up key
     * ids cannot make us hammer the issuer. This is done here rather than with JWKSourceBuilder's rate limit, which
     * sits below the cache and counts the routine refreshes too: a flood of made-up key ids would then starve them,
     * and the cache would expire with the issuer up.
     */
    private static final class Keys implements JWKSource<SecurityContext>, Closeable {

        private final RefreshAheadCachingJWKSetSource<SecurityContext> cache;
        private final long minRefetchMillis;
        private final AtomicLong nextRefetch = new AtomicLong();

        Keys(String issuer, String keysFrom, JWKSetSource<SecurityContext> fetch, Duration refresh,
             Duration fetchTimeout, Duration minRefetch, ScheduledExecutorService refresher) {
            this.minRefetchMillis = minRefetch.toMillis();
            JWKSetSource<SecurityContext> spaced = new SpacedFetches(issuer, keysFrom, fetch, minRefetch.toMillis());
            long ttl = refresh.toMillis();
            OutageTolerantJWKSetSource<SecurityContext> tolerant = new OutageTolerantJWKSetSource<>(spaced, ttl * 10,
                    null);
            // waiting for another thread's fetch: connect and read, each within the fetch timeout
            long waitForFetch = fetchTimeout.toMillis() * 2;
            this.cache = new RefreshAheadCachingJWKSetSource<>(tolerant, ttl, waitForFetch, Math.min(30_000, ttl / 4),
                    refresher, false, null, refresher, false);
        }

        @Override
        public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
            long now = System.currentTimeMillis();
            JWKSet set = cache.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, context);
            List<JWK> found = selector.select(set);
            if (found.isEmpty() && mayRefetch(now)) {
                found = selector.select(cache.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(set), now,
                        context));
            }
            return found;
        }

        private boolean mayRefetch(long now) {
            long next = nextRefetch.get();
            return now >= next && nextRefetch.compareAndSet(next, now + minRefetchMillis);
        }

        @Override
        public void close() {
            try {
                cache.close();
            } catch (IOException e) {
                log.warn("while closing a token issuer's key cache: {}", e.toString());
            }
        }
    }

    /**
     * Fetches no sooner than {@code backOffMillis} after a failed one: with no set cached yet, every token would
     * otherwise fetch, and a flood of them would hit an identity provider that is already down.
     */
    private static final class SpacedFetches implements JWKSetSource<SecurityContext> {

        private final String issuer;
        private final String keysFrom;
        private final JWKSetSource<SecurityContext> fetch;
        private final long backOffMillis;
        private volatile long notBefore;

        SpacedFetches(String issuer, String keysFrom, JWKSetSource<SecurityContext> fetch, long backOffMillis) {
            this.issuer = issuer;
            this.keysFrom = keysFrom;
            this.fetch = fetch;
            this.backOffMillis = backOffMillis;
        }

        @Override
        public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refreshEvaluator, long currentTime,
                                SecurityContext context) throws KeySourceException {
            long now = System.currentTimeMillis();
            if (now < notBefore) {
                throw new JWKSetUnavailableException("the last fetch failed; the next not before "
                        + (notBefore - now) + " ms");
            }
            try {
                JWKSet set = fetch.getJWKSet(refreshEvaluator, currentTime, context);
                notBefore = 0;
                return set;
            } catch (KeySourceException e) {
                notBefore = now + backOffMillis;
                log.warn("cannot fetch the keys of token issuer {} from {}: {} (the keys fetched before, if any, are"
                        + " used meanwhile; the next fetch in {} ms at the earliest)", issuer, keysFrom, e.getMessage(),
                        backOffMillis);
                throw e instanceof JWKSetUnavailableException ? e
                        : new JWKSetUnavailableException(e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            fetch.close();
        }
    }
}
