package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.take;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Tokens of external identity providers, verified against their JWK sets, through real clients: the JWK sets are
 * served by a real HTTP server in this test (or read from a file), the tokens signed here with EC P-256 and RSA keys
 * as an identity provider would, the devices made through the admin API.
 *
 * <p>Each refusal has its sound twin: the same token with the one thing under test put right is admitted, so that a
 * refusal is owed to that check and not to a broken forging.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenExternalIssuersTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String MAIN = "https://idp.test";
    private static final String TENANTS = "https://tenants.test";
    private static final String ROTATING = "https://rotating.test";
    private static final String FLAKY = "https://flaky.test";
    private static final String FILE = "https://file.test";
    private static final String SLOW = "https://slow.test";
    private static final String DEAD = "https://dead.test";
    private static final String BROKEN = "https://broken.test";

    private final ExecutorService httpThreads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-idp");
        t.setDaemon(true);
        return t;
    });
    private HttpServer idp;
    private HttpServer flaky; // null while "down"
    private int flakyPort;
    private int deadPort;
    private Path jwksFile;
    private final AtomicInteger mainFetches = new AtomicInteger();
    private final AtomicInteger brokenFetches = new AtomicInteger();
    private final CountDownLatch slowAsked = new CountDownLatch(1);
    private volatile String rotatingJwks;

    private ECKey ec;
    private RSAKey rsa;
    private ECKey ec384;
    private ECKey tenantsEc;
    private RSAKey tenantsRsa;
    private ECKey rotatingOld;
    private ECKey rotatingNew;
    private ECKey flakyKey;
    private ECKey fileOld;
    private ECKey fileNew;
    private ECKey slowKey;

    private BrokerFixture broker;
    private AdminClient admin;

    @BeforeAll
    void start() throws Exception {
        ec = ecKey("main-ec", Curve.P_256);
        rsa = rsaKey("main-rsa");
        ec384 = ecKey("main-ec384", Curve.P_384); // in the set, but ES384 is not among the issuer's algorithms
        tenantsEc = ecKey("tenants-ec", Curve.P_256);
        tenantsRsa = rsaKey("tenants-rsa"); // in the set, but the issuer accepts ES256 only
        rotatingOld = ecKey("rotating-1", Curve.P_256);
        rotatingNew = ecKey("rotating-2", Curve.P_256);
        flakyKey = ecKey("flaky-1", Curve.P_256);
        fileOld = ecKey("file-1", Curve.P_256);
        fileNew = ecKey("file-2", Curve.P_256);
        slowKey = ecKey("slow-1", Curve.P_256);
        rotatingJwks = jwks(rotatingOld);

        idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        idp.setExecutor(httpThreads);
        String mainJwks = jwks(ec, rsa, ec384);
        serve(idp, "/main/jwks.json", () -> {
            mainFetches.incrementAndGet();
            return mainJwks;
        });
        String tenantsJwks = jwks(tenantsEc, tenantsRsa);
        serve(idp, "/tenants/jwks.json", () -> tenantsJwks);
        serve(idp, "/rotating/jwks.json", () -> rotatingJwks);
        String slowJwks = jwks(slowKey);
        serve(idp, "/slow/jwks.json", () -> {
            slowAsked.countDown();
            try {
                Thread.sleep(4_000); // past the issuer's fetch timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return slowJwks;
        });
        idp.createContext("/broken/jwks.json", exchange -> {
            brokenFetches.incrementAndGet();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        idp.start();
        // ports on which nothing listens: the flaky issuer's until the test starts its server, and the dead one's
        flakyPort = freePort();
        deadPort = freePort();

        Path dir = Files.createDirectories(Path.of("target", "test-data", "jwks-" + UUID.randomUUID()));
        jwksFile = dir.resolve("idp-jwks.json");
        writeAtomically(jwksFile, jwks(fileOld));

        String base = "http://127.0.0.1:" + idp.getAddress().getPort();
        // no failure penalty here, so that refusals come at once: the penalty has a broker of its own below
        broker = BrokerFixture.start("""
                anchormq.auth.failure-delay = 0s
                anchormq.tokens.external-issuers = [
                  { issuer = "%s", jwks-url = "%s/main/jwks.json", audience = "mqtt", workspace = "acme",
                    algorithms = [ES256, RS256] }
                  { issuer = "%s", jwks-url = "%s/tenants/jwks.json", audience = ["mqtt", "devices"],
                    workspace-claim = "tenant", device-claim = "device_id", algorithms = [ES256] }
                  { issuer = "%s", jwks-url = "%s/rotating/jwks.json", audience = "mqtt", workspace = "acme",
                    min-refetch-interval = 200ms }
                  { issuer = "%s", jwks-url = "http://127.0.0.1:%d/jwks.json", audience = "mqtt", workspace = "acme",
                    fetch-timeout = 500ms, min-refetch-interval = 300ms, refresh = 2s }
                  { issuer = "%s", jwks-file = "%s", audience = "mqtt", workspace = "acme",
                    min-refetch-interval = 200ms }
                  { issuer = "%s", jwks-url = "%s/slow/jwks.json", audience = "mqtt", workspace = "acme",
                    fetch-timeout = 2s }
                  { issuer = "%s", jwks-url = "%s/broken/jwks.json", audience = "mqtt", workspace = "acme" }
                ]
                """.formatted(MAIN, base, TENANTS, base, ROTATING, base, FLAKY, flakyPort, FILE,
                jwksFile.toAbsolutePath(), SLOW, base, BROKEN, base));
        admin = AdminClient.of(broker);
        admin.createWorkspace("acme", false);
        admin.createWorkspace("rival", false);
        admin.createWorkspace("plant", false);
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
        if (flaky != null) {
            flaky.stop(0);
        }
        if (idp != null) {
            idp.stop(0);
        }
        httpThreads.shutdownNow();
    }

    // ---- the identity provider ----------------------------------------------------------------------------------

    private static ECKey ecKey(String kid, Curve curve) throws Exception {
        return new ECKeyGenerator(curve).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
    }

    private static RSAKey rsaKey(String kid) throws Exception {
        return new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
    }

    /** The public JWK set of the keys, as an identity provider publishes it. */
    private static String jwks(JWK... keys) {
        return new JWKSet(List.of(keys)).toPublicJWKSet().toString();
    }

    private static void serve(HttpServer server, String path, Supplier<String> body) {
        server.createContext(path, exchange -> answer(exchange, body.get()));
    }

    private static void answer(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, text);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Claims of a good token of {@code issuer} for {@code device}: aud mqtt, valid for an hour. */
    private static JWTClaimsSet.Builder claims(String issuer, String device) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience("mqtt")
                .subject(device)
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now.minusSeconds(5)))
                .expirationTime(Date.from(now.plusSeconds(3600)));
    }

    private static String sign(JWK key, UnaryOperator<JWTClaimsSet.Builder> claims, String issuer, String device)
            throws Exception {
        return sign(key, key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256, JOSEObjectType.JWT,
                claims.apply(claims(issuer, device)).build());
    }

    private static String sign(JWK key, String issuer, String device) throws Exception {
        return sign(key, b -> b, issuer, device);
    }

    private static String sign(JWK key, JWSAlgorithm algorithm, JOSEObjectType type, JWTClaimsSet claims)
            throws Exception {
        JWSSigner signer = key instanceof ECKey e ? new ECDSASigner(e) : new RSASSASigner((RSAKey) key);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).type(type).build(),
                claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    // ---- clients ------------------------------------------------------------------------------------------------

    private static MqttConnectionOptions v5Options(String username, String password) {
        MqttConnectionOptions o = V5.options(true, 0L);
        o.setUserName(username);
        o.setPassword(password == null ? null : password.getBytes(StandardCharsets.UTF_8));
        return o;
    }

    private V5 connected(String token) throws Exception {
        return connected(broker, token);
    }

    private static V5 connected(BrokerFixture broker, String token) throws Exception {
        V5 c = new V5(broker.tcpUri(), unique("x"));
        try {
            c.connect(v5Options("device", token));
        } catch (Exception e) {
            c.close();
            throw e;
        }
        return c;
    }

    private V3 connected3(String token) throws Exception {
        V3 c = new V3(broker.tcpUri(), unique("x3"));
        try {
            c.client.connect(v3Options("device", token)).waitForCompletion(5000);
        } catch (Exception e) {
            c.close();
            throw e;
        }
        return c;
    }

    private void admitted(String token, String what) throws Exception {
        admitted(broker, token, what);
    }

    private static void admitted(BrokerFixture broker, String token, String what) throws Exception {
        try (V5 c = connected(broker, token)) {
            assertTrue(c.client.isConnected(), what);
        }
    }

    private int v5Refusal(String token) throws Exception {
        return v5Refusal(broker, token);
    }

    private static int v5Refusal(BrokerFixture broker, String token) throws Exception {
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

    private String device(String workspace) {
        String device = unique("dev");
        admin.createDevice(workspace, device);
        return device;
    }

    // ---- tests --------------------------------------------------------------------------------------------------

    @Test
    void tokensOfAnIssuerPutTheirDevicesIntoItsWorkspaceOnly() throws Exception {
        String publisher = device("acme");
        String watcher = device("acme");
        String rivalDevice = device("rival");
        try (V5 ecClient = connected(sign(ec, MAIN, publisher));        // ES256
             V3 rsaClient = connected3(sign(rsa, MAIN, watcher));       // RS256, MQTT 3.1.1
             V5 platformClient = connected(admin.issueToken("acme", device("acme"), null).get("token").asText());
             V5 rival = connected(admin.issueToken("rival", rivalDevice, null).get("token").asText());
             V5 anonymous = new V5(broker.tcpUri(), unique("anon"))) {
            anonymous.connect(true, 0L); // the default workspace: this loopback listener admits anonymous clients
            rsaClient.subscribe("telemetry/#", 1);
            rival.subscribe("telemetry/#", 1);
            anonymous.subscribe("telemetry/#", 1);
            platformClient.subscribe("telemetry/#", 1);
            ecClient.subscribe("commands/#", 1);

            ecClient.publish("telemetry/t", "21.5", 1, false);
            assertEquals("21.5", rsaClient.next(WAIT).text());
            assertEquals("21.5", platformClient.next(WAIT).text(), "a platform token's client of the workspace");
            platformClient.publish("commands/c", "open", 1, false);
            assertEquals("open", ecClient.next(WAIT).text(), "and the other way round");
            assertNothing(rival.messages, Duration.ofMillis(500), "acme's message in workspace rival");
            assertNothing(anonymous.messages, Duration.ofMillis(100), "acme's message in the default workspace");
        }
    }

    @Test
    void forgedExpiredMisaddressedAndUnsignedTokensAreRefused() throws Exception {
        String device = device("acme");
        String token = sign(ec, MAIN, device);
        admitted(token, "the good token");
        admitted(sign(rsa, MAIN, device), "the good token signed with RSA");

        assertEquals(0x86, v5Refusal(sign(ec, b -> b.issuer("https://unknown.test"), MAIN, device)),
                "an issuer that is not configured");
        assertEquals(4, v3Refusal(sign(ec, b -> b.issuer("https://unknown.test"), MAIN, device)),
                "3.1.1: bad user name or password");

        String[] parts = token.split("\\.");
        byte[] signature = Base64.getUrlDecoder().decode(parts[2]);
        signature[10] ^= 0x01;
        String flipped = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(signature);
        assertEquals(0x86, v5Refusal(flipped), "a flipped signature byte");
        assertEquals(4, v3Refusal(flipped), "a flipped signature byte, 3.1.1");

        Instant now = Instant.now();
        assertEquals(0x86, v5Refusal(sign(ec, b -> b.issueTime(Date.from(now.minusSeconds(7200)))
                .expirationTime(Date.from(now.minusSeconds(120))), MAIN, device)), "expired, past the 30 s skew");
        assertEquals(4, v3Refusal(sign(ec, b -> b.expirationTime(Date.from(now.minusSeconds(120))), MAIN, device)),
                "expired, 3.1.1");
        admitted(sign(ec, b -> b.expirationTime(Date.from(now.minusSeconds(10))), MAIN, device),
                "expired 10 s ago: within the clock skew");
        assertEquals(0x86, v5Refusal(sign(ec, b -> b.expirationTime(null), MAIN, device)), "no exp");
        assertEquals(0x86, v5Refusal(sign(ec, b -> b.notBeforeTime(Date.from(now.plusSeconds(120))), MAIN, device)),
                "not valid for another two minutes");
        admitted(sign(ec, b -> b.notBeforeTime(Date.from(now.plusSeconds(10))), MAIN, device),
                "valid in 10 s: within the clock skew");

        assertEquals(0x86, v5Refusal(sign(ec, b -> b.audience("http"), MAIN, device)), "another audience");
        assertEquals(0x86, v5Refusal(sign(ec, b -> b.audience((String) null), MAIN, device)), "no audience");
        assertEquals(0x86, v5Refusal(sign(ec, b -> b.subject(null), MAIN, device)), "no device claim");
        assertEquals(0x86, v5Refusal(sign(ec, MAIN, "no-such-device")), "a device that does not exist");
        assertEquals(0x86, v5Refusal(sign(ec, MAIN, device("rival"))), "a device of another workspace");

        // unsigned: as it is, and with something in the signature's place
        String unsigned = new PlainJWT(claims(MAIN, device).build()).serialize();
        assertEquals(0x86, v5Refusal(unsigned), "alg none (this listener admits anonymous clients)");
        assertEquals(4, v3Refusal(unsigned), "alg none, 3.1.1");
        assertEquals(0x86, v5Refusal(unsigned + "c2lnbmF0dXJl"), "alg none with a signature");
        // HMAC keyed with the public key, which anyone can fetch
        JWTClaimsSet good = claims(MAIN, device).build();
        for (byte[] secret : List.of(rsa.toRSAPublicKey().getEncoded(),
                rsa.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8),
                ec.toECPublicKey().getEncoded())) {
            SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(rsa.getKeyID()).build(),
                    good);
            hmac.sign(new MACSigner(secret));
            assertEquals(0x86, v5Refusal(hmac.serialize()), "HS256 with the public key as the secret");
        }
        // a key of the set, but an algorithm the issuer is not configured for
        assertEquals(0x86, v5Refusal(sign(ec384, JWSAlgorithm.ES384, JOSEObjectType.JWT, good)), "ES384");
        // keys the issuer does not have: an unknown kid, and a known kid on another key
        assertEquals(0x86, v5Refusal(sign(ecKey("stranger", Curve.P_256), MAIN, device)), "an unknown kid");
        assertEquals(0x86, v5Refusal(sign(ecKey(ec.getKeyID(), Curve.P_256), MAIN, device)),
                "the issuer's kid, another key");
        assertEquals(0x86, v5Refusal(sign(rsaKey(rsa.getKeyID()), MAIN, device)), "the RSA kid, another key");

        admitted(sign(ec, JWSAlgorithm.ES256, new JOSEObjectType("at+jwt"), good), "an RFC 9068 access token");
        admitted(sign(ec, JWSAlgorithm.ES256, null, good), "a token without typ");
        assertEquals(0x86, v5Refusal(sign(ec, JWSAlgorithm.ES256, JOSEObjectType.JOSE, good)), "typ JOSE: not a JWT");
        admitted(token, "and the good token still gets in after all that");
    }

    @Test
    void madeUpKeyIdsDoNotMakeTheBrokerHammerTheIssuer() throws Exception {
        String device = device("acme");
        admitted(sign(ec, MAIN, device), "the good token (the set is cached)");
        int before = mainFetches.get();
        for (int i = 0; i < 5; i++) {
            assertEquals(0x86, v5Refusal(sign(ecKey("made-up-" + i, Curve.P_256), MAIN, device)));
        }
        // one refetch for an unknown kid per 30 s (the default): at most one here, whatever came before
        assertTrue(mainFetches.get() - before <= 1, "fetches for 5 unknown kids: " + (mainFetches.get() - before));
        admitted(sign(ec, MAIN, device), "the good token");

        // an issuer that answers 500: no key set, so unavailable; and no new fetch within 30 s of a failed one
        String broken = sign(ecKey("broken-1", Curve.P_256), BROKEN, device);
        for (int i = 0; i < 5; i++) {
            assertEquals(0x88, v5Refusal(broken), "a key set that cannot be fetched");
        }
        assertEquals(1, brokenFetches.get(), "fetches of a failing key set for 5 tokens");
    }

    @Test
    void aWorkspaceClaimPutsTheDeviceIntoTheWorkspaceItNamesWhereItsAclApplies() throws Exception {
        assertEquals(201, admin.call("POST", "/api/v1/workspaces/plant/devices",
                "{\"id\": \"p-sensor\", \"groups\": [\"sensors\"]}").status());
        AdminClient.Reply rules = admin.call("PUT", "/api/v1/workspaces/plant/acl", """
                {"rules": [{"subjectKind": "group", "subject": "sensors", "action": "publish", "topic": "plant/%d/#",
                            "permission": "allow"},
                           {"subjectKind": "any", "action": "subscribe", "topic": "plant/#",
                            "permission": "allow"}]}""");
        assertEquals(200, rules.status(), rules.body());
        String rivalDevice = device("rival");
        UnaryOperator<JWTClaimsSet.Builder> plantSensor = b -> b.claim("tenant", "plant").claim("device_id", "p-sensor")
                .subject("someone-else");
        try (V5 sensor = connected(sign(tenantsEc, plantSensor, TENANTS, "ignored"));
             V5 watcher = connected(sign(tenantsEc, b -> b.claim("tenant", "rival").claim("device_id", rivalDevice),
                     TENANTS, "ignored"));
             V5 rival = connected(admin.issueToken("rival", rivalDevice, null).get("token").asText());
             V5 plantWatcher = connected(admin.issueToken("plant", "p-sensor", null).get("token").asText())) {
            plantWatcher.subscribe("plant/#", 1);
            rival.subscribe("rival/#", 1);
            assertEquals(0, sensor.publishReason("plant/p-sensor/temp", "7", false), "its own branch");
            assertEquals("7", plantWatcher.next(WAIT).text());
            assertEquals(0x87, sensor.publishReason("plant/other/temp", "8", false), "the ACL of plant applies");
            watcher.publish("rival/x", "in rival", 1, false);
            assertEquals("in rival", rival.next(WAIT).text(), "the workspace claim chose rival");
        }
        admitted(sign(tenantsEc, b -> plantSensor.apply(b).audience("devices"), TENANTS, "ignored"),
                "the other configured audience");
        assertEquals(0x86, v5Refusal(sign(tenantsEc, b -> plantSensor.apply(b).audience("other"), TENANTS, "x")),
                "an audience that is not configured");
        assertEquals(0x86, v5Refusal(sign(tenantsEc, b -> b.claim("device_id", "p-sensor"), TENANTS, "x")),
                "no workspace claim");
        assertEquals(0x86, v5Refusal(sign(tenantsEc, b -> b.claim("tenant", "rival").claim("device_id", "p-sensor"),
                TENANTS, "x")), "a device of plant claimed in rival");
        assertEquals(0x86, v5Refusal(sign(tenantsEc, b -> b.claim("tenant", "plant"), TENANTS, "p-sensor")),
                "the device is in device_id, not sub");
        assertEquals(0x86, v5Refusal(sign(tenantsEc, b -> plantSensor.apply(b).claim("device_id", 42), TENANTS,
                "x")), "a device claim that is not a string");
        assertEquals(0x86, v5Refusal(sign(tenantsRsa, plantSensor, TENANTS, "x")),
                "RS256 by a key of the set: this issuer accepts ES256 only");
    }

    @Test
    void deletingTheDeviceLocksItsTokensOut() throws Exception {
        String device = device("acme");
        String token = sign(ec, MAIN, device);
        try (V5 c = connected(token)) {
            assertEquals(204, admin.call("DELETE", "/api/v1/workspaces/acme/devices/" + device, null).status());
            assertEquals(0x87, take(c.disconnects, WAIT, "DISCONNECT").getReturnCode());
        }
        assertEquals(0x86, v5Refusal(token), "a token of a deleted device");
        assertEquals(4, v3Refusal(token), "a token of a deleted device, 3.1.1");
        // no credential row: a device made again under the name is the one the issuer's tokens name
        admin.createDevice("acme", device);
        admitted(token, "the issuer's token names the device by name");
    }

    @Test
    void aKeyRotatedAtTheIssuerIsPickedUpWithoutARestart() throws Exception {
        String device = device("acme");
        String old = sign(rotatingOld, ROTATING, device);
        admitted(old, "a token of the first key");
        rotatingJwks = jwks(rotatingNew); // the new key published, the old one withdrawn
        admitted(sign(rotatingNew, ROTATING, device), "a token of the new key: its kid makes the broker fetch");
        assertEquals(0x86, v5Refusal(old), "a token of the withdrawn key");
        assertEquals(0x86, v5Refusal(sign(rotatingOld, ROTATING, device)), "a new token of the withdrawn key");
    }

    @Test
    void anUnreachableIssuerGivesServerUnavailableUntilItIsBack() throws Exception {
        String device = device("acme");
        String token = sign(flakyKey, FLAKY, device);
        assertEquals(0x88, v5Refusal(token), "server unavailable: the issuer's keys cannot be fetched");
        assertEquals(3, v3Refusal(token), "3.1.1: server unavailable");

        flaky = HttpServer.create(new InetSocketAddress("127.0.0.1", flakyPort), 0);
        flaky.setExecutor(httpThreads);
        String set = jwks(flakyKey);
        serve(flaky, "/jwks.json", () -> set);
        flaky.start();
        Thread.sleep(400); // past the 300 ms a failed fetch is not retried within
        try (V5 v5 = connected(token); V3 v3 = connected3(sign(flakyKey, FLAKY, device))) {
            assertTrue(v5.client.isConnected() && v3.client.isConnected());
        }

        flaky.stop(0);
        flaky = null;
        admitted(token, "down again: the keys fetched before are used");
        Thread.sleep(2_500);
        admitted(token, "and still after the 2 s they are cached for: the issuer is down, not its keys changed");
    }

    @Test
    void aSlowIssuerDoesNotHoldUpOtherClients() throws Exception {
        String device = device("acme");
        String other = sign(ec, MAIN, device);
        admitted(other, "another issuer's token (its keys are cached)");
        CompletableFuture<Integer> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return v5Refusal(sign(slowKey, SLOW, device));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(slowAsked.await(5, TimeUnit.SECONDS), "the slow issuer was asked for its keys");
        long t0 = System.nanoTime();
        admitted(other, "another issuer's token while the slow one's keys are being fetched");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        // the fetch holds an authentication thread for its 2 s timeout; on an event loop, it would hold every client
        assertTrue(millis < 1_500, "the connect waited for the slow fetch: " + millis + " ms");
        assertTrue(!slow.isDone(), "the slow fetch was over before the other client connected");
        assertEquals(0x88, slow.get(10, TimeUnit.SECONDS), "the fetch timed out: server unavailable");
    }

    @Test
    void anIssuerWhoseKeysAreInAFileSeesTheFileReplaced() throws Exception {
        String device = device("acme");
        String old = sign(fileOld, FILE, device);
        admitted(old, "a token of the file's key");
        try (V3 v3 = connected3(sign(fileOld, FILE, device))) {
            assertTrue(v3.client.isConnected());
        }
        assertEquals(0x86, v5Refusal(sign(fileNew, FILE, device)), "a key that is not in the file yet");
        Thread.sleep(250); // the unknown kid above made the one read allowed per 200 ms
        writeAtomically(jwksFile, jwks(fileNew));
        admitted(sign(fileNew, FILE, device), "the key the file now holds");
        assertEquals(0x86, v5Refusal(old), "the key the file no longer holds");
    }

    @Test
    void refusedTokensCountForTheFailurePenaltyAndUnreachableIssuersDoNot() throws Exception {
        String base = "http://127.0.0.1:" + idp.getAddress().getPort();
        try (BrokerFixture penalised = BrokerFixture.start("""
                anchormq.auth { failure-delay = 1s, max-failure-delay = 4s }
                anchormq.tokens.external-issuers = [
                  { issuer = "%s", jwks-url = "%s/main/jwks.json", audience = "mqtt", workspace = "acme" }
                  { issuer = "%s", jwks-url = "http://127.0.0.1:%d/jwks.json", audience = "mqtt", workspace = "acme",
                    min-refetch-interval = 100ms }
                ]
                """.formatted(MAIN, base, DEAD, deadPort))) {
            AdminClient itsAdmin = AdminClient.of(penalised);
            itsAdmin.createWorkspace("acme", false);
            itsAdmin.createDevice("acme", "d");
            String good = sign(ec, MAIN, "d");
            String forged = sign(ecKey(ec.getKeyID(), Curve.P_256), MAIN, "d");
            admitted(penalised, good, "the good token");

            // failures 1, 2, 3: answered at once, after 1 s, after 2 s
            assertEquals(0x86, v5Refusal(penalised, forged));
            assertEquals(0x86, v5Refusal(penalised, forged));
            long t0 = System.nanoTime();
            assertEquals(0x86, v5Refusal(penalised, forged));
            long third = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(third >= 1_500, "the third refusal of an external token came after " + third + " ms");

            admitted(penalised, good, "the good token, which clears the count");
            String unreachable = sign(flakyKey, DEAD, "d");
            for (int i = 0; i < 3; i++) {
                assertEquals(0x88, v5Refusal(penalised, unreachable), "server unavailable");
            }
            // had those counted, this would be failure 4, answered after 4 s: it is failure 1
            t0 = System.nanoTime();
            assertEquals(0x86, v5Refusal(penalised, forged));
            long next = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(next < 2_000, "unavailable refusals counted as failures: the next came after " + next + " ms");
        }
    }
}
