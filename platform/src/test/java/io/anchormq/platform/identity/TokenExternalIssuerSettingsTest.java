package io.anchormq.platform.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.platform.testsupport.BrokerFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * anchormq.tokens.external-issuers at start: the default is none, a good list opens, and each mistake stops the
 * start with a message that names the setting it is in.
 */
class TokenExternalIssuerSettingsTest {

    private static final String GOOD = "issuer = \"https://idp.test\", jwks-url = \"https://idp.test/jwks.json\","
            + " audience = mqtt, workspace = acme";

    @TempDir
    Path dir;

    private static Config config(String hocon) {
        return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load());
    }

    private static String refused(String issuers) {
        return assertThrows(IllegalStateException.class,
                () -> ExternalIssuers.open(config("anchormq.tokens.external-issuers = " + issuers)).close(),
                issuers).getMessage();
    }

    private static void assertNames(String expected, String message) {
        assertTrue(message.contains(expected), "expected the message to name '" + expected + "': " + message);
    }

    @Test
    void noneByDefaultAndAGoodListOpens() throws Exception {
        try (ExternalIssuers none = ExternalIssuers.open(ConfigFactory.load())) {
            assertEquals(List.of(), none.descriptions());
        }
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("k").generate()).toPublicJWKSet()
                .toString());
        try (ExternalIssuers two = ExternalIssuers.open(config("anchormq.tokens.external-issuers = [{" + GOOD + "},"
                + " {issuer = \"https://other.test\", jwks-file = \"" + file + "\", audience = [mqtt, devices],"
                + " workspace-claim = ws, device-claim = device_id, algorithms = [ES256], refresh = 1m}]"))) {
            assertEquals(2, two.descriptions().size());
            assertNames("external token issuer https://idp.test: keys from https://idp.test/jwks.json (ES256, RS256,"
                    + " refreshed every PT10M), device from claim sub, in workspace acme", two.descriptions().get(0));
            assertNames("workspace from claim ws", two.descriptions().get(1));
        }
        // as the environment variable gives it: a string holding the list
        try (ExternalIssuers fromString = ExternalIssuers.open(config(
                "anchormq.tokens.external-issuers = \"\"\"[{" + GOOD + "}]\"\"\""))) {
            assertEquals(1, fromString.descriptions().size());
        }
    }

    @Test
    void eachMistakeNamesItsSetting() throws Exception {
        String at = "anchormq.tokens.external-issuers[0]";
        assertNames("anchormq.tokens.external-issuers must be a list of issuers", refused("5"));
        assertNames("anchormq.tokens.external-issuers must be a list of issuers", refused("[5]"));
        assertNames(at + ".issuer is required", refused("[{jwks-url = \"https://x/j\", audience = mqtt,"
                + " workspace = acme}]"));
        assertNames(at + ".issuer must not be empty", refused("[{issuer = \" \", jwks-url = \"https://x/j\","
                + " audience = mqtt, workspace = acme}]"));
        assertNames(at + ": exactly one of jwks-url and jwks-file", refused("[{issuer = i, audience = mqtt,"
                + " workspace = acme}]"));
        assertNames(at + ": exactly one of jwks-url and jwks-file", refused("[{" + GOOD + ", jwks-file = /x}]"));
        assertNames(at + ".jwks-url must be an http or https URL", refused("[{" + GOOD.replace("https://idp.test/",
                "ftp://idp.test/") + "}]"));
        assertNames(at + ".jwks-url is not a URL", refused("[{" + GOOD.replace("https://idp.test/jwks.json",
                "https://idp test/") + "}]"));
        assertNames(at + ".jwks-file cannot be read", refused("[{issuer = i, jwks-file = \"" + dir.resolve("none")
                + "\", audience = mqtt, workspace = acme}]"));
        Path junk = Files.writeString(dir.resolve("junk.json"), "not json");
        assertNames(at + ".jwks-file is not a JWK set", refused("[{issuer = i, jwks-file = \"" + junk
                + "\", audience = mqtt, workspace = acme}]"));
        Path ecOnly = Files.writeString(dir.resolve("ec.json"), new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("k")
                .generate()).toPublicJWKSet().toString());
        assertNames(at + ".jwks-file holds no [RSA] key", refused("[{issuer = i, jwks-file = \"" + ecOnly
                + "\", audience = mqtt, workspace = acme, algorithms = [RS256]}]"));
        assertNames(at + ".audience is required", refused("[{" + GOOD.replace(" audience = mqtt,", "") + "}]"));
        assertNames(at + ".audience must name at least one", refused("[{" + GOOD.replace("audience = mqtt",
                "audience = []") + "}]"));
        assertNames(at + ": exactly one of workspace", refused("[{" + GOOD + ", workspace-claim = ws}]"));
        assertNames(at + ": exactly one of workspace", refused("[{" + GOOD.replace(", workspace = acme", "") + "}]"));
        assertNames(at + ".algorithms: HS256 is not one of", refused("[{" + GOOD + ", algorithms = [ES256, HS256]}]"));
        assertNames(at + ".algorithms: none is not one of", refused("[{" + GOOD + ", algorithms = [none]}]"));
        assertNames(at + ".algorithms must name at least one", refused("[{" + GOOD + ", algorithms = []}]"));
        assertNames(at + ": ", refused("[{" + GOOD + ", refresh = soon}]"));
        assertNames("refresh", refused("[{" + GOOD + ", refresh = soon}]"));
        assertNames(at + ".refresh must be at least 1s and 4 x fetch-timeout", refused("[{" + GOOD
                + ", refresh = 4s, fetch-timeout = 2s}]"));
        assertNames(at + ".fetch-timeout must be from 100ms to 1m", refused("[{" + GOOD + ", fetch-timeout = 10ms}]"));
        assertNames(at + ".min-refetch-interval must be more than 0", refused("[{" + GOOD
                + ", min-refetch-interval = 0s}]"));
        assertNames(at + ".min-refetch-interval must be more than 0 and at most refresh", refused("[{" + GOOD
                + ", min-refetch-interval = 1h}]"));
        assertNames(at + ": unknown setting [jwks_url]", refused("[{" + GOOD + ", jwks_url = x}]"));
        assertNames(at + ".issuer: anchormq is the platform's own", refused("[{" + GOOD.replace("https://idp.test\"",
                "anchormq\"") + "}]"));
        assertNames("anchormq.tokens.external-issuers[1].issuer: https://idp.test is listed twice",
                refused("[{" + GOOD + "}, {" + GOOD + "}]"));
    }

    @Test
    void theBrokerDoesNotStartWithAMistake() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BrokerFixture.start(
                "anchormq.tokens.external-issuers = [{" + GOOD + ", algorithms = [HS256]}]").close());
        assertNames("anchormq.tokens.external-issuers[0].algorithms: HS256", e.getMessage());
    }
}
