package io.anchormq.platform.identity;

import com.nimbusds.jwt.JWTParser;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.text.ParseException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The identity providers whose JWTs devices may connect with besides the platform's own tokens
 * ({@code anchormq.tokens.external-issuers}, empty by default): each {@link ExternalIssuer} is chosen by a token's
 * {@code iss}, and only then is the token verified, against that issuer's keys alone.
 */
public final class ExternalIssuers implements AutoCloseable {

    private static final String PATH = "anchormq.tokens.external-issuers";

    private final Map<String, ExternalIssuer> byIssuer;
    private final ScheduledThreadPoolExecutor refresher;

    private ExternalIssuers(Map<String, ExternalIssuer> byIssuer, ScheduledThreadPoolExecutor refresher) {
        this.byIssuer = byIssuer;
        this.refresher = refresher;
    }

    /**
     * From {@code anchormq.tokens.external-issuers}: a list of issuers, or a string holding one (as the environment
     * variable gives it). Every mistake is refused here, naming the setting.
     */
    public static ExternalIssuers open(Config root) {
        Config tokens = root.getConfig("anchormq.tokens");
        List<? extends Config> entries = entries(tokens);
        Duration clockSkew = tokens.getDuration("clock-skew");
        String platformIssuer = tokens.getString("issuer");
        if (entries.isEmpty()) {
            return new ExternalIssuers(Map.of(), null);
        }
        // one daemon thread for all issuers: refreshes are rare and short, and must not keep the JVM up
        ScheduledThreadPoolExecutor refresher = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "anchormq-jwks-refresh");
            t.setDaemon(true);
            return t;
        });
        refresher.setRemoveOnCancelPolicy(true);
        Map<String, ExternalIssuer> byIssuer = new LinkedHashMap<>();
        try {
            for (int i = 0; i < entries.size(); i++) {
                String where = PATH + "[" + i + "]";
                ExternalIssuer issuer = ExternalIssuer.from(entries.get(i), where, clockSkew, refresher);
                if (issuer.issuer().equals(platformIssuer)) {
                    issuer.close();
                    throw new IllegalStateException(where + ".issuer: " + platformIssuer + " is the platform's own"
                            + " (anchormq.tokens.issuer), whose tokens are verified with its own keys");
                }
                if (byIssuer.containsKey(issuer.issuer())) {
                    issuer.close();
                    throw new IllegalStateException(where + ".issuer: " + issuer.issuer() + " is listed twice");
                }
                byIssuer.put(issuer.issuer(), issuer);
            }
        } catch (RuntimeException e) {
            byIssuer.values().forEach(ExternalIssuer::close);
            refresher.shutdownNow();
            throw e;
        }
        return new ExternalIssuers(Collections.unmodifiableMap(byIssuer), refresher); // in configured order, for the log
    }

    private static List<? extends Config> entries(Config tokens) {
        try {
            if (tokens.getValue("external-issuers").valueType() == ConfigValueType.STRING) {
                String text = tokens.getString("external-issuers");
                return text.isBlank() ? List.of() : ConfigFactory.parseString("issuers = " + text)
                        .getConfigList("issuers");
            }
            return tokens.getConfigList("external-issuers");
        } catch (ConfigException e) {
            throw new IllegalStateException(PATH + " must be a list of issuers ({ issuer = ..., jwks-url = ...,"
                    + " audience = ..., workspace = ... }): " + e.getMessage(), e);
        }
    }

    /** One line per issuer, for the start-up log. */
    public List<String> descriptions() {
        return byIssuer.values().stream().map(ExternalIssuer::description).toList();
    }

    /**
     * The issuer a token claims to be from, by its {@code iss} read without verifying anything (the issuer then
     * verifies it, its {@code iss} included); empty when no external issuer has that name.
     */
    Optional<ExternalIssuer> of(String token) {
        if (byIssuer.isEmpty()) {
            return Optional.empty();
        }
        try {
            String iss = JWTParser.parse(token).getJWTClaimsSet().getIssuer();
            return iss == null ? Optional.empty() : Optional.ofNullable(byIssuer.get(iss));
        } catch (ParseException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        byIssuer.values().forEach(ExternalIssuer::close);
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
