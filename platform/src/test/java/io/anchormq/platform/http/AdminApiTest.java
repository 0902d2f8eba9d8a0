package io.anchormq.platform.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The admin API over real HTTP: the OpenAPI document and the live routes agree, every endpoint needs a key, and bad
 * input on every endpoint that takes a body (malformed JSON, an unknown field, a wrong type, a body too large) gets
 * a 4xx with a JSON body naming what is wrong, and changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private BrokerFixture broker;
    private AdminClient admin;
    private JsonNode document;

    /** A documented operation, with its path's parameters filled in with resources that exist. */
    private record Operation(String method, String template, String path, boolean hasBody, boolean jsonBody,
                             boolean secured) {
    }

    @BeforeAll
    void start() throws Exception {
        broker = BrokerFixture.start();
        admin = AdminClient.of(broker);
        admin.createWorkspace("docs", true);
        admin.createDevice("docs", "dev-1");
        document = JSON.readTree(admin.call("GET", "/api/v1/openapi.json", null, null).body());
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private List<Operation> operations() {
        List<Operation> ops = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> methods = p.getValue().fields(); methods.hasNext(); ) {
                Map.Entry<String, JsonNode> m = methods.next();
                JsonNode security = m.getValue().get("security");
                String path = p.getKey().replace("{workspace}", "docs").replace("{device}", "dev-1")
                        .replace("{credential}", "no-such-credential").replace("{key}", "no-such-key").replace("{rule}", "no-such-rule").replace("{serial}", "abc123")
                        .replace("{kid}", "no-such-kid")
                        .replace("{tilePath}", "0/000").replace("{index}", "0");
                JsonNode body = m.getValue().get("requestBody");
                ops.add(new Operation(m.getKey().toUpperCase(), p.getKey(), path, body != null,
                        body != null && body.get("content").has("application/json"),
                        security == null || !security.isEmpty()));
            }
        }
        return ops;
    }

    @Test
    void theFirstStartWroteAnAdminKeyOnlyItsOwnerCanRead() throws Exception {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(broker.server().adminKeyFile());
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), perms);
        assertEquals(200, admin.call("GET", "/api/v1/api-keys", null).status());
    }

    @Test
    void theDocumentDescribesExactlyTheLiveAdminEndpoints() {
        Set<String> documented = new TreeSet<>();
        for (Operation op : operations()) {
            if (op.template().startsWith("/api/")) {
                documented.add(op.method() + " " + op.template());
            }
        }
        Set<String> live = new TreeSet<>();
        for (AdminApi.Endpoint e : new AdminApi(null, null, null, null, null, null, null, null, null, null, "").endpoints()) {
            live.add(e.method() + " " + e.template());
        }
        assertEquals(live, documented);
    }

    private Set<String> documentedProperties(String schema) {
        Set<String> names = new TreeSet<>();
        document.get("components").get("schemas").get(schema).get("properties").fieldNames()
                .forEachRemaining(names::add);
        return names;
    }

    private static Set<String> fieldsOf(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void theWorkspaceSchemasNameExactlyTheFieldsOfTheApi() {
        JsonNode w = admin.call("GET", "/api/v1/workspaces/docs", null).json();
        assertEquals(documentedProperties("Workspace"), fieldsOf(w));
        assertEquals(documentedProperties("Quotas"), fieldsOf(w.get("quotas")));
        assertEquals(documentedProperties("AnonymousRateQuota"), fieldsOf(w.get("anonymousRateQuota")));
        Set<String> writable = new TreeSet<>(documentedProperties("Workspace"));
        writable.remove("createdAt");
        Set<String> created = new TreeSet<>(writable);
        writable.remove("id");
        assertEquals(created, documentedProperties("WorkspaceCreate"));
        assertEquals(writable, documentedProperties("WorkspaceUpdate"));
        // every documented field of an update is taken (an unknown one is a 400)
        AdminClient.Reply r = admin.call("PATCH", "/api/v1/workspaces/docs", "{\"name\": \"docs\","
                + " \"logPublicRead\": true, \"anonymousTopicPrefix\": \"anon/\", \"quotas\": {},"
                + " \"anonymousRateQuota\": {\"messagesPerSecond\": 3, \"bytesPerSecond\": null},"
                + " \"logAnonymousTopics\": true}");
        assertEquals(200, r.status(), r.body());
        assertEquals(3, r.json().get("anonymousRateQuota").get("messagesPerSecond").asInt());
        assertTrue(r.json().get("anonymousRateQuota").get("bytesPerSecond").isNull(), "null: the platform default");
        assertTrue(r.json().get("logAnonymousTopics").asBoolean());
        assertEquals(r.json(), admin.call("GET", "/api/v1/workspaces/docs", null).json(), "as stored");
        assertEquals(200, admin.call("PATCH", "/api/v1/workspaces/docs", "{\"anonymousTopicPrefix\": null,"
                + " \"anonymousRateQuota\": {\"messagesPerSecond\": null}, \"logAnonymousTopics\": false}").status());
    }

    @Test
    void everyDocumentedOperationIsAnsweredByItsEndpoint() {
        for (Operation op : operations()) {
            if (op.method().equals("DELETE") || (op.method().equals("POST") && !op.path().endsWith("/revoke"))) {
                continue; // these change things; their routing is checked with bad input below
            }
            AdminClient.Reply r = admin.call(op.method(), op.path(), op.hasBody() ? "{}" : null);
            assertTrue(r.status() != 405, op + ": " + r.body());
            String error = r.error();
            assertFalse(r.status() == 404 && error != null && error.startsWith("no such"),
                    op + " fell through to no route: " + r.body());
        }
    }

    @Test
    void everySecuredEndpointNeedsAValidKey() {
        for (Operation op : operations()) {
            if (!op.secured() || !op.template().startsWith("/api/")) {
                continue;
            }
            AdminClient.Reply none = admin.call(op.method(), op.path(), op.hasBody() ? "{}" : null, null);
            assertEquals(401, none.status(), op + ": " + none.body());
            assertNotNull(none.error(), op + " answers JSON");
            AdminClient.Reply forged = admin.call(op.method(), op.path(), op.hasBody() ? "{}" : null,
                    "amq_notARealKeyAtAllButTheRightShape000000000");
            assertEquals(401, forged.status(), op + ": " + forged.body());
        }
    }

    @Test
    void badBodiesOnEveryEndpointGetA4xxNamingTheProblem() {
        int before = admin.call("GET", "/api/v1/workspaces", null).json().size();
        for (Operation op : operations()) {
            if (!op.hasBody()) {
                continue;
            }
            AdminClient.Reply huge = admin.call(op.method(), op.path(), "{\"name\": \"" + "x".repeat(100_000) + "\"}");
            assertEquals(413, huge.status(), op + ": " + huge.status() + " " + huge.body());
            assertNotNull(huge.error(), op + " answers JSON");
            if (!op.jsonBody()) {
                continue; // a PEM body: its bad input is tested with its endpoint (CertificateIdentityTest)
            }
            AdminClient.Reply malformed = admin.call(op.method(), op.path(), "{\"id\": \"x\",");
            assertEquals(400, malformed.status(), op + ": " + malformed.body());
            assertTrue(malformed.error().startsWith("malformed JSON"), op + ": " + malformed.body());

            AdminClient.Reply notObject = admin.call(op.method(), op.path(), "[1, 2]");
            assertEquals(400, notObject.status(), op + ": " + notObject.body());

            AdminClient.Reply unknown = admin.call(op.method(), op.path(), "{\"surprise\": 1}");
            assertEquals(400, unknown.status(), op + ": " + unknown.body());
            assertEquals("surprise", unknown.field(), op + ": " + unknown.body());
        }
        // wrong types and formats name their field
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": 7}"), 400, "id");
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": \"Not Valid!\"}"), 400, "id");
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": \"q1\", \"logPublicRead\": \"yes\"}"), 400,
                "logPublicRead");
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": \"q2\", \"quotas\": {\"maxConnections\": -1}}"),
                400, "maxConnections");
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": \"q3\", \"anonymousRateQuota\": 10}"), 400,
                "anonymousRateQuota");
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": \"q4\", \"anonymousRateQuota\":"
                + " {\"messagesPerSecond\": -1}}"), 400, "anonymousRateQuota.messagesPerSecond");
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": \"q5\", \"anonymousRateQuota\":"
                + " {\"perMinute\": 1}}"), 400, "anonymousRateQuota.perMinute");
        assertField(admin.call("PATCH", "/api/v1/workspaces/docs", "{\"logAnonymousTopics\": 1}"), 400,
                "logAnonymousTopics");
        assertField(admin.call("POST", "/api/v1/workspaces/docs/devices", "{}"), 400, "id");
        assertField(admin.call("POST", "/api/v1/workspaces/docs/devices/dev-1/credentials",
                "{\"password\": \"short\"}"), 400, "password");
        assertField(admin.call("POST", "/api/v1/workspaces/docs/devices/dev-1/credentials",
                "{\"expiresAt\": \"tomorrow\"}"), 400, "expiresAt");
        assertField(admin.call("POST", "/api/v1/workspaces/docs/api-keys", "{\"role\": \"platform-admin\"}"), 400,
                "role");
        assertField(admin.call("POST", "/api/v1/workspaces", "{\"id\": \"docs\"}"), 409, "id");
        // nothing was created by any of it
        assertEquals(before, admin.call("GET", "/api/v1/workspaces", null).json().size());
    }

    @Test
    void aCredentialMadeWithoutAPasswordShowsTheMadeOneOnceAndNeverAHash() {
        AdminClient.Reply made = admin.call("POST", "/api/v1/workspaces/docs/devices/dev-1/credentials", "{}");
        assertEquals(201, made.status(), made.body());
        assertTrue(made.json().get("password").asText().length() >= 20);
        assertEquals("dev-1", made.json().get("username").asText());
        AdminClient.Reply list = admin.call("GET", "/api/v1/workspaces/docs/devices/dev-1/credentials", null);
        assertFalse(list.body().contains("argon2"), list.body());
        assertFalse(list.body().contains(made.json().get("password").asText()), list.body());
    }

    @Test
    void aReadOnlyKeyReadsButDoesNotChange() {
        String read = admin.workspaceKey("docs", "workspace-read");
        assertEquals(200, admin.call("GET", "/api/v1/workspaces/docs/devices", null, read).status());
        assertEquals(403, admin.call("POST", "/api/v1/workspaces/docs/devices", "{\"id\": \"x\"}", read).status());
        assertEquals(403, admin.call("PATCH", "/api/v1/workspaces/docs", "{\"name\": \"x\"}", read).status());
        assertEquals(404, admin.call("GET", "/api/v1/workspaces/docs/devices/x", null, read).status());
    }

    private static void assertField(AdminClient.Reply r, int status, String field) {
        assertEquals(status, r.status(), r.body());
        if (status == 400) {
            assertTrue(r.field() != null && r.field().endsWith(field), "field " + field + " named: " + r.body());
        }
        assertNotNull(r.error(), r.body());
    }
}
