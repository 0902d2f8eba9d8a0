package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.take;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Device access tokens through the admin API and real clients: an issued token, as the password, puts the client
 * into its device's workspace; forged, expired, wrongly addressed, unknown-key, revoked and orphaned tokens are
 * refused with the right code in both MQTT versions; the JWK set verifies tokens for third parties; keys rotate.
 *
 * <p>Bad tokens are made the way an attacker with some knowledge would: by changing one part of a real token and
 * signing it again with the platform's own key (read from the data directory), so that each refusal is owed to the
 * one check under test; the unchanged token signed the same way is admitted, which shows the forging is sound.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TokenAuthenticationContract {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private BrokerFixture broker;
    private AdminClient admin;

    abstract String storeConfig();

    @BeforeAll
    void start() {
        broker = BrokerFixture.start(storeConfig() + "\nanchormq.auth { failure-delay = 100ms, max-failure-delay = 400ms }");
        admin = AdminClient.of(broker);
        admin.createWorkspace("fleet", false);
        admin.createWorkspace("rival", false);
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    // ---- clients ------------------------------------------------------------------------------------------------

    private static MqttConnectionOptions v5Options(String username, String password) {
        MqttConnectionOptions o = V5.options(true, 0L);
        o.setUserName(username);
        o.setPassword(password == null ? null : password.getBytes(StandardCharsets.UTF_8));
        return o;
    }

    private V5 connected(String username, String token) throws Exception {
        V5 c = new V5(broker.tcpUri(), unique("t"));
        c.connect(v5Options(username, token));
        return c;
    }

    private int v5Refusal(String token) throws Exception {
        try (V5 c = new V5(broker.tcpUri(), unique("refused"))) {
            MqttException e = assertThrows(MqttException.class, () -> c.connect(v5Options("device", token)));
            return e.getReasonCode();
        }
    }

    private static MqttConnectOptions v3Options(String username, String token) {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setUserName(username);
        o.setPassword(token.toCharArray());
        o.setConnectionTimeout(5);
        return o;
    }

    private int v3Refusal(String token) throws Exception {
        try (V3 c = new V3(broker.tcpUri(), unique("refused3"))) {
            org.eclipse.paho.client.mqttv3.MqttException e = assertThrows(
                    org.eclipse.paho.client.mqttv3.MqttException.class,
                    () -> c.client.connect(v3Options("device", token)).waitForCompletion(5000));
            return e.getReasonCode();
        }
    }

    private String device() {
        String device = unique("sensor");
        admin.createDevice("fleet", device);
        return device;
    }

    private String token(String device) {
        return admin.issueToken("fleet", device, null).get("token").asText();
    }

    // ---- forging with the platform's own key --------------------------------------------------------------------

    private ECKey platformKey() throws Exception {
        Path file = broker.dataDir().resolve("pki").resolve("token-keys.json");
        List<JWK> keys = JWKSet.load(file.toFile()).getKeys();
        return (ECKey) keys.get(keys.size() - 1);
    }

    /** The real token's claims, changed by {@code change}, signed with {@code key} under its kid. */
    private static String resigned(String token, ECKey key, UnaryOperator<JWTClaimsSet.Builder> change)
            throws Exception {
        JWTClaimsSet claims = SignedJWT.parse(token).getJWTClaimsSet();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), change.apply(new JWTClaimsSet.Builder(claims)).build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    // ---- tests --------------------------------------------------------------------------------------------------

    @Test
    void anIssuedTokenPutsTheClientIntoItsDevicesWorkspaceWhateverTheUserName() throws Exception {
        String device = device();
        String token = token(device);
        try (V5 publisher = connected(null, token); // MQTT 5 allows a password without a user name
             V5 watcher = connected("anything", token(device));
             V5 anonymous = new V5(broker.tcpUri(), unique("anon"));
             V3 v3 = new V3(broker.tcpUri(), unique("t3"))) {
            v3.client.connect(v3Options(device, token)).waitForCompletion(5000);
            v3.subscribe("telemetry/#", 1);
            anonymous.connect(true, 0L); // the default workspace (this loopback listener admits anonymous clients)
            anonymous.subscribe("telemetry/#", 1);
            String rivalDevice = unique("rival");
            admin.createDevice("rival", rivalDevice);
            try (V5 rival = connected(rivalDevice, admin.issueToken("rival", rivalDevice, null).get("token")
                    .asText())) {
                rival.subscribe("telemetry/#", 1);
                watcher.subscribe("telemetry/#", 1);
                publisher.publish("telemetry/t", "21.5", 1, false);
                assertEquals("21.5", watcher.next(WAIT).text());
                assertEquals("21.5", v3.next(WAIT).text());
                assertNothing(rival.messages, Duration.ofMillis(500), "fleet's message in workspace rival");
                assertNothing(anonymous.messages, Duration.ofMillis(100), "fleet's message in the default workspace");
            }
        }
    }

    @Test
    void forgedExpiredMisaddressedAndUnknownKeyTokensAreRefused() throws Exception {
        String device = device();
        String token = token(device);
        ECKey key = platformKey();
        // the forging itself is sound: the same claims signed again with the platform's key get in
        try (V5 c = connected("device", resigned(token, key, b -> b))) {
            assertTrue(c.client.isConnected());
        }

        String[] parts = token.split("\\.");
        byte[] signature = Base64.getUrlDecoder().decode(parts[2]);
        signature[10] ^= 0x01;
        String flipped = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(signature);
        assertEquals(0x86, v5Refusal(flipped), "a flipped signature byte");
        assertEquals(4, v3Refusal(flipped), "3.1.1: bad user name or password");

        Instant now = Instant.now();
        String expired = resigned(token, key, b -> b.issueTime(Date.from(now.minusSeconds(7200)))
                .expirationTime(Date.from(now.minusSeconds(120)))); // past the 30 s clock skew; its row is valid
        assertEquals(0x86, v5Refusal(expired), "expired");
        assertEquals(4, v3Refusal(expired), "expired, 3.1.1");

        assertEquals(0x86, v5Refusal(resigned(token, key, b -> b.audience("http"))), "another audience");
        assertEquals(0x86, v5Refusal(resigned(token, key, b -> b.issuer("someone-else"))), "another issuer");
        assertEquals(0x86, v5Refusal(resigned(token, key, b -> b.claim("ws", "rival"))), "another workspace");
        String otherDevice = device();
        assertEquals(0x86, v5Refusal(resigned(token, key, b -> b.subject(otherDevice))), "another device");
        assertEquals(0x86, v5Refusal(resigned(token, key, b -> b.jwtID("00000000-0000-0000-0000-000000000000"))),
                "a jti without a credential");

        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("not-a-platform-key").generate();
        assertEquals(0x86, v5Refusal(resigned(token, stranger, b -> b)), "an unknown kid");
        ECKey impostor = new ECKeyGenerator(Curve.P_256).keyID(key.getKeyID()).generate();
        assertEquals(0x86, v5Refusal(resigned(token, impostor, b -> b)), "the platform's kid, another key");

        // and the real token still gets in after all that
        try (V5 c = connected("device", token)) {
            assertTrue(c.client.isConnected());
        }
    }

    @Test
    void twoTokensAreValidAtOnceAndRevokingOneDisconnectsOnlyItsClients() throws Exception {
        String device = device();
        JsonNode first = admin.issueToken("fleet", device, null);
        String second = token(device);
        try (V5 onFirst = connected("device", first.get("token").asText()); V5 onSecond = connected("device", second)) {
            admin.revokeCredential("fleet", device, first.get("id").asText());
            MqttDisconnectResponse d = take(onFirst.disconnects, WAIT, "the DISCONNECT of the revoked token");
            assertEquals(0x87, d.getReturnCode(), "not authorized");
            assertNothing(onSecond.disconnects, Duration.ofMillis(300), "a disconnect of the other token");
            assertTrue(onSecond.client.isConnected());
        }
        assertEquals(0x86, v5Refusal(first.get("token").asText()));
        assertEquals(4, v3Refusal(first.get("token").asText()));
        try (V5 again = connected("device", second)) {
            assertTrue(again.client.isConnected());
        }
    }

    @Test
    void tokensAreListedAsCredentialsWithoutTheTokenAndDieWithTheirDevice() throws Exception {
        String device = device();
        JsonNode issued = admin.issueToken("fleet", device, "{\"expiresIn\": \"P7D\"}");
        String token = issued.get("token").asText();
        AdminClient.Reply list = admin.call("GET", "/api/v1/workspaces/fleet/devices/" + device + "/credentials",
                null);
        assertEquals(200, list.status());
        assertEquals(1, list.json().size(), list.body());
        JsonNode listed = list.json().get(0);
        assertEquals(issued.get("id").asText(), listed.get("id").asText());
        assertEquals("token", listed.get("kind").asText());
        assertEquals(issued.get("expiresAt").asText(), listed.get("expiresAt").asText());
        assertFalse(list.body().contains(token.split("\\.")[2]), list.body());
        assertEquals(SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().toInstant(),
                Instant.parse(issued.get("expiresAt").asText()));

        try (V5 c = connected("device", token)) {
            assertEquals(204, admin.call("DELETE", "/api/v1/workspaces/fleet/devices/" + device, null).status());
            assertEquals(0x87, take(c.disconnects, WAIT, "DISCONNECT").getReturnCode());
        }
        assertEquals(0x86, v5Refusal(token), "a token of a deleted device");
        // a device of the same name made again does not bring its old tokens back
        admin.createDevice("fleet", device);
        assertEquals(0x86, v5Refusal(token), "a token of a deleted device's namesake");
    }

    @Test
    void theJwkSetServesThePublicKeysThatVerifyTokens() throws Exception {
        String device = device();
        JsonNode issued = admin.issueToken("fleet", device, null);
        AdminClient.Reply jwks = admin.call("GET", "/api/v1/jwks.json", null, null); // no API key
        assertEquals(200, jwks.status(), jwks.body());
        assertFalse(jwks.json().get("keys").isEmpty());
        for (JsonNode k : jwks.json().get("keys")) {
            assertEquals("EC", k.get("kty").asText());
            assertEquals("P-256", k.get("crv").asText());
            assertEquals("ES256", k.get("alg").asText());
            assertFalse(k.has("d"), "a private part in the JWK set: " + k);
        }
        SignedJWT jwt = SignedJWT.parse(issued.get("token").asText());
        ECKey published = (ECKey) JWKSet.parse(jwks.body()).getKeyByKeyId(jwt.getHeader().getKeyID());
        assertTrue(jwt.verify(new ECDSAVerifier(published)), "the token verifies against the published key");
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertEquals("anchormq", claims.getIssuer());
        assertEquals(List.of("mqtt"), claims.getAudience());
        assertEquals(device, claims.getSubject());
        assertEquals("fleet", claims.getStringClaim("ws"));
        assertEquals(issued.get("id").asText(), claims.getJWTID());
        // a token signed by another key does not verify against it
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID(published.getKeyID()).generate();
        assertFalse(SignedJWT.parse(resigned(issued.get("token").asText(), other, b -> b))
                .verify(new ECDSAVerifier(published)));

        Path file = broker.dataDir().resolve("pki").resolve("token-keys.json");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file));
    }

    @Test
    void aNewKeySignsNewTokensWhileOldOnesStillWorkUntilItsRemoved() throws Exception {
        String device = device();
        String oldToken = token(device);
        String oldKid = SignedJWT.parse(oldToken).getHeader().getKeyID();

        String workspaceAdmin = admin.workspaceKey("fleet", "workspace-admin");
        assertEquals(403, admin.call("POST", "/api/v1/token-keys", null, workspaceAdmin).status());
        assertEquals(403, admin.call("DELETE", "/api/v1/token-keys/" + oldKid, null, workspaceAdmin).status());
        AdminClient.Reply added = admin.call("POST", "/api/v1/token-keys", null);
        assertEquals(201, added.status(), added.body());
        String newKid = added.json().get("kid").asText();
        assertNotEquals(oldKid, newKid);

        String newToken = token(device);
        assertEquals(newKid, SignedJWT.parse(newToken).getHeader().getKeyID());
        JsonNode keys = admin.call("GET", "/api/v1/token-keys", null).json();
        assertEquals(newKid, keys.get(keys.size() - 1).get("kid").asText());
        assertTrue(keys.get(keys.size() - 1).get("signing").asBoolean());
        JWKSet published = JWKSet.parse(admin.call("GET", "/api/v1/jwks.json", null, null).body());
        assertTrue(published.getKeyByKeyId(oldKid) != null && published.getKeyByKeyId(newKid) != null);
        try (V5 onOld = connected("device", oldToken); V5 onNew = connected("device", newToken)) {
            assertTrue(onOld.client.isConnected() && onNew.client.isConnected());
        }

        assertEquals(204, admin.call("DELETE", "/api/v1/token-keys/" + oldKid, null).status());
        assertEquals(0x86, v5Refusal(oldToken), "a token of a removed key");
        try (V5 onNew = connected("device", newToken)) {
            assertTrue(onNew.client.isConnected());
        }
        assertEquals(404, admin.call("DELETE", "/api/v1/token-keys/" + oldKid, null).status());
        JWKSet left = JWKSet.parse(admin.call("GET", "/api/v1/jwks.json", null, null).body());
        assertEquals(1, left.getKeys().size(), left.toString());
        AdminClient.Reply last = admin.call("DELETE", "/api/v1/token-keys/" + newKid, null);
        assertEquals(400, last.status(), last.body());
        assertEquals("kid", last.field());
    }

    @Test
    void expiresInIsADurationOrSecondsWithinTheLimits() throws Exception {
        String device = device();
        String path = "/api/v1/workspaces/fleet/devices/" + device + "/tokens";
        for (String bad : List.of("0", "-5", "31536001", "\"P366D\"", "\"P1Y\"", "\"PT0.5S\"", "\"soon\"", "1.5",
                "true", "{}", "\"\"")) {
            AdminClient.Reply r = admin.call("POST", path, "{\"expiresIn\": " + bad + "}");
            assertEquals(400, r.status(), bad + ": " + r.body());
            assertEquals("expiresIn", r.field(), bad + ": " + r.body());
        }
        assertEquals(0, admin.call("GET", "/api/v1/workspaces/fleet/devices/" + device + "/credentials", null)
                .json().size(), "a refused request stored a token");

        Instant before = Instant.now();
        Instant byDefault = Instant.parse(admin.issueToken("fleet", device, null).get("expiresAt").asText());
        assertWithin(before.plus(Duration.ofDays(30)), byDefault);
        Instant yearly = Instant.parse(admin.issueToken("fleet", device, "{\"expiresIn\": \"P365D\"}")
                .get("expiresAt").asText());
        assertWithin(before.plus(Duration.ofDays(365)), yearly);
        Instant inSeconds = Instant.parse(admin.issueToken("fleet", device, "{\"expiresIn\": 3600}")
                .get("expiresAt").asText());
        assertWithin(before.plusSeconds(3600), inSeconds);

        // who may issue: a workspace admin, not a reader, not another workspace's admin
        assertEquals(201, admin.call("POST", path, null, admin.workspaceKey("fleet", "workspace-admin")).status());
        assertEquals(403, admin.call("POST", path, null, admin.workspaceKey("fleet", "workspace-read")).status());
        assertEquals(404, admin.call("POST", path, null, admin.workspaceKey("rival", "workspace-admin")).status());
        assertEquals(404, admin.call("POST", "/api/v1/workspaces/fleet/devices/no-such-device/tokens", null)
                .status());

        // a password that would be taken for a token at CONNECT is refused
        AdminClient.Reply shaped = admin.call("POST", "/api/v1/workspaces/fleet/devices/" + device + "/credentials",
                "{\"password\": \"" + token(device) + "\"}");
        assertEquals(400, shaped.status(), shaped.body());
        assertEquals("password", shaped.field());
    }

    @Test
    void repeatedTokenFailuresFromOneAddressAreAnsweredLater() throws Exception {
        String token = token(device());
        String forged = token.substring(0, token.lastIndexOf('.') + 1) + "A".repeat(86);
        long slowest = 0;
        for (int i = 0; i < 4; i++) {
            long t0 = System.nanoTime();
            assertEquals(0x86, v5Refusal(forged));
            slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
        }
        assertTrue(slowest >= 200, "token failures were not slowed down: slowest " + slowest + " ms");
        try (V5 c = connected("device", token)) {
            assertTrue(c.client.isConnected());
        }
    }

    private static void assertWithin(Instant expected, Instant actual) {
        assertTrue(Duration.between(expected, actual).abs().compareTo(Duration.ofSeconds(60)) < 0,
                "expected about " + expected + ", was " + actual);
    }
}
