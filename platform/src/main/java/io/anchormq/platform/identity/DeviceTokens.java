package io.anchormq.platform.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Device access tokens: JWTs (ES256) the platform signs with its {@link TokenKeys}, which a device presents as its
 * MQTT password. Claims: {@code iss} (anchormq.tokens.issuer), {@code aud} "mqtt", {@code sub} the device id,
 * {@code ws} its workspace, {@code jti} the id of the token's credential row, {@code iat}, {@code exp}.
 *
 * <p>A valid signature is not enough to connect: the credential row named by {@code jti} must exist and not be
 * revoked ({@link DeviceAuthenticator}), so that a token can be revoked before it expires.
 */
public final class DeviceTokens {

    public static final String AUDIENCE = "mqtt";
    public static final String WORKSPACE_CLAIM = "ws";
    // a compact JWS: three base64url parts; bounded, so that no one makes the parser read a 64 KB password. The
    // claims may be 3 KB (identity providers' tokens carry more than ours). The signature may be empty: an unsecured
    // JWT ("alg": "none") is then refused as a token, not taken for a password and, where a listener admits
    // anonymous clients, let in as one.
    private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_-]{8,1024}\\.[A-Za-z0-9_-]{8,4096}"
            + "\\.(?:[A-Za-z0-9_-]{8,1024})?");

    /** A token just signed: its id (the credential's), the compact JWS, when it expires, the key that signed it. */
    public record Issued(String id, String token, Instant expiresAt, String keyId) {
    }

    /** What a valid token names: the device, its workspace and the token's id. */
    public record Bearer(String workspace, String device, String id) {
    }

    private final TokenKeys keys;
    private final String issuer;
    private final Duration clockSkew;
    private final Duration defaultLifetime;
    private final Duration maxLifetime;

    DeviceTokens(TokenKeys keys, String issuer, Duration clockSkew, Duration defaultLifetime, Duration maxLifetime) {
        this.keys = keys;
        this.issuer = issuer;
        this.clockSkew = clockSkew;
        this.defaultLifetime = defaultLifetime;
        this.maxLifetime = maxLifetime;
    }

    /** From the {@code anchormq.tokens} section; the key file is created on first start. */
    public static DeviceTokens open(Config root) {
        Config t = root.getConfig("anchormq.tokens");
        String file = t.getString("key-file");
        Path keyFile = file.isEmpty() ? Path.of(root.getString("anchormq.data-dir"), "pki", "token-keys.json")
                : Path.of(file);
        Duration defaultLifetime = t.getDuration("default-lifetime");
        Duration maxLifetime = t.getDuration("max-lifetime");
        if (defaultLifetime.compareTo(Duration.ofSeconds(1)) < 0 || defaultLifetime.compareTo(maxLifetime) > 0) {
            throw new IllegalStateException("anchormq.tokens.default-lifetime must be from 1s to max-lifetime ("
                    + maxLifetime + "): " + defaultLifetime);
        }
        String issuer = t.getString("issuer");
        if (issuer.isBlank()) {
            throw new IllegalStateException("anchormq.tokens.issuer must not be empty");
        }
        return new DeviceTokens(TokenKeys.open(keyFile), issuer, t.getDuration("clock-skew"), defaultLifetime,
                maxLifetime);
    }

    public TokenKeys keys() {
        return keys;
    }

    public Duration defaultLifetime() {
        return defaultLifetime;
    }

    public Duration maxLifetime() {
        return maxLifetime;
    }

    /**
     * A new token id and expiry for a token of {@code lifetime}, to be stored as the credential before the token is
     * {@link #sign signed}: a token exists only once its row does.
     */
    public static Instant expiry(Instant now, Duration lifetime) {
        return now.truncatedTo(ChronoUnit.SECONDS).plus(lifetime).truncatedTo(ChronoUnit.SECONDS);
    }

    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /** Signs the token of credential {@code id} with the newest key. */
    public Issued sign(String id, String workspace, String device, Instant issuedAt, Instant expiresAt) {
        ECKey key = keys.signing();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(AUDIENCE)
                .subject(device)
                .claim(WORKSPACE_CLAIM, workspace)
                .jwtID(id)
                .issueTime(Date.from(issuedAt.truncatedTo(ChronoUnit.SECONDS)))
                .expirationTime(Date.from(expiresAt))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token with key " + key.getKeyID(), e);
        }
        return new Issued(id, jwt.serialize(), expiresAt, key.getKeyID());
    }

    /**
     * Whether a password is shaped like a token (three base64url parts, the last one possibly empty): then it is taken
     * for one, the platform's or an external issuer's.
     */
    public static boolean isTokenShaped(CharSequence password) {
        return SHAPE.matcher(password).matches();
    }

    /**
     * The bearer named by a token signed by one of the keys, for audience "mqtt", of this issuer, not expired
     * (within the clock skew) and with every claim; empty when it is not such a token.
     */
    public Optional<Bearer> verify(String token) {
        if (!isTokenShaped(token)) {
            return Optional.empty();
        }
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        // only ES256 and only the platform's keys: "none", HMAC with the public key and embedded keys are refused
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256,
                new ImmutableJWKSet<>(new JWKSet(new ArrayList<>(keys.all())).toPublicJWKSet())));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(Set.of(AUDIENCE),
                new JWTClaimsSet.Builder().issuer(issuer).build(),
                Set.of("sub", "jti", "exp", "iat", WORKSPACE_CLAIM), null);
        claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, clockSkew.toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
        try {
            JWTClaimsSet c = processor.process(token, null);
            Object workspace = c.getClaim(WORKSPACE_CLAIM);
            if (!(workspace instanceof String ws)) {
                return Optional.empty();
            }
            return Optional.of(new Bearer(ws, c.getSubject(), c.getJWTID()));
        } catch (ParseException | BadJOSEException | JOSEException e) {
            return Optional.empty();
        }
    }
}
