package io.anchormq.platform.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.platform.identity.ApiKeys;
import io.anchormq.platform.identity.Caller;
import io.anchormq.platform.identity.PasswordHash;
import io.anchormq.platform.identity.DeviceAuthenticator;
import io.anchormq.platform.identity.DeviceTokens;
import io.anchormq.platform.pki.CsrRejectedException;
import io.anchormq.platform.pki.PlatformCa;
import io.anchormq.platform.store.AclRule;
import io.anchormq.platform.store.AclTable;
import io.anchormq.platform.store.AnonymousRateQuota;
import io.anchormq.platform.store.ApiKey;
import io.anchormq.platform.store.ApiKeyTable;
import io.anchormq.platform.store.Credential;
import io.anchormq.platform.store.CredentialTable;
import io.anchormq.platform.store.CertificateTable;
import io.anchormq.platform.store.Device;
import io.anchormq.platform.store.DeviceTable;
import io.anchormq.platform.store.IssuedCertificate;
import io.anchormq.platform.store.Quotas;
import io.anchormq.platform.store.StoreConflict;
import io.anchormq.platform.store.Workspace;
import io.anchormq.platform.store.WorkspaceTable;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API under {@code /api/v1/}: workspaces, devices, credentials and API keys, as JSON. Its endpoints are a
 * table ({@link #endpoints()}), so the OpenAPI document served beside them can be checked against what is live.
 *
 * <p>Keys decide what a caller sees: a platform admin key everything, a workspace key its own workspace only. A
 * resource of another workspace is answered exactly as one that does not exist (404), so a key cannot even learn
 * which other workspaces there are.
 */
final class AdminApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern WORKSPACE_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** '@' too: an operator's CA may name devices by their e-mail address (anchormq.auth.certificates.identity). */
    static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    private static final Pattern NAME = Pattern.compile("[^\\p{Cntrl}]{1,200}");
    private static final Pattern USERNAME = Pattern.compile("[^\\p{Cntrl}\\s]{1,256}");
    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    private static final Pattern TOPIC_PREFIX = Pattern.compile("[^#+\\p{Cntrl}]{1,200}/");
    private static final Set<String> ROLES = Set.of(Caller.WORKSPACE_ADMIN, Caller.WORKSPACE_READ);
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * One endpoint: method, path template ({@code {name}} for a parameter), whether it needs a key, handler; and the
     * template as a pattern, with its parameters' names in order.
     */
    record Endpoint(String method, String template, boolean needsKey, Function<ApiRequest, ApiResponse> handler,
                    Pattern pattern, List<String> paramNames) {

        Endpoint(String method, String template, boolean needsKey, Function<ApiRequest, ApiResponse> handler) {
            this(method, template, needsKey, handler,
                    Pattern.compile(template.replaceAll("\\{[a-zA-Z]+}", "([^/]+)")), paramNamesOf(template));
        }

        private static List<String> paramNamesOf(String template) {
            List<String> names = new ArrayList<>();
            Matcher m = Pattern.compile("\\{([a-zA-Z]+)}").matcher(template);
            while (m.find()) {
                names.add(m.group(1));
            }
            return List.copyOf(names);
        }
    }

    /** A handler's answer: status and JSON (or another content type's) body. */
    record ApiResponse(int status, String contentType, String body) {
        static ApiResponse json(int status, Object body) {
            return new ApiResponse(status, "application/json", body.toString());
        }
    }

    private final WorkspaceTable workspaces;
    private final DeviceTable devices;
    private final CredentialTable credentials;
    private final AclTable acl;
    private final CertificateTable certificates;
    private final PlatformCa pki;
    private final DeviceTokens tokens;
    private final ApiKeyTable apiKeyTable;
    private final ApiKeys apiKeys;
    private final AdminEffects effects;
    private final List<Endpoint> endpoints;

    AdminApi(WorkspaceTable workspaces, DeviceTable devices, CredentialTable credentials, AclTable acl,
             CertificateTable certificates, PlatformCa pki, DeviceTokens tokens, ApiKeyTable apiKeyTable,
             ApiKeys apiKeys, AdminEffects effects, String openApiDocument) {
        this.workspaces = workspaces;
        this.devices = devices;
        this.credentials = credentials;
        this.acl = acl;
        this.certificates = certificates;
        this.pki = pki;
        this.tokens = tokens;
        this.apiKeyTable = apiKeyTable;
        this.apiKeys = apiKeys;
        this.effects = effects;
        List<Endpoint> all = new ArrayList<>(List.of(
                new Endpoint("GET", "/api/v1/openapi.json", false,
                        r -> new ApiResponse(200, "application/json", openApiDocument)),
                new Endpoint("GET", "/api/v1/workspaces", true, this::listWorkspaces),
                new Endpoint("POST", "/api/v1/workspaces", true, this::createWorkspace),
                new Endpoint("GET", "/api/v1/workspaces/{workspace}", true, this::getWorkspace),
                new Endpoint("PATCH", "/api/v1/workspaces/{workspace}", true, this::updateWorkspace),
                new Endpoint("DELETE", "/api/v1/workspaces/{workspace}", true, this::deleteWorkspace),
                new Endpoint("GET", "/api/v1/workspaces/{workspace}/devices", true, this::listDevices),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/devices", true, this::createDevice),
                new Endpoint("GET", "/api/v1/workspaces/{workspace}/devices/{device}", true, this::getDevice),
                new Endpoint("PATCH", "/api/v1/workspaces/{workspace}/devices/{device}", true, this::updateDevice),
                new Endpoint("DELETE", "/api/v1/workspaces/{workspace}/devices/{device}", true, this::deleteDevice),
                new Endpoint("GET", "/api/v1/workspaces/{workspace}/devices/{device}/credentials", true,
                        this::listCredentials),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/devices/{device}/credentials", true,
                        this::createCredential),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/devices/{device}/credentials/{credential}/revoke",
                        true, this::revokeCredential),
                new Endpoint("DELETE", "/api/v1/workspaces/{workspace}/devices/{device}/credentials/{credential}",
                        true, this::deleteCredential),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/devices/{device}/tokens", true,
                        this::issueToken),
                new Endpoint("GET", "/api/v1/jwks.json", false,
                        r -> new ApiResponse(200, "application/json", tokens.keys().publicSet().toString())),
                new Endpoint("GET", "/api/v1/token-keys", true, this::listTokenKeys),
                new Endpoint("POST", "/api/v1/token-keys", true, this::addTokenKey),
                new Endpoint("DELETE", "/api/v1/token-keys/{kid}", true, this::removeTokenKey),
                new Endpoint("GET", "/api/v1/workspaces/{workspace}/devices/{device}/certificates", true,
                        this::listCertificates),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/devices/{device}/certificates", true,
                        this::signCertificate),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/certificates/{serial}/revoke", true,
                        this::revokeCertificate),
                new Endpoint("GET", "/api/v1/pki/ca.pem", false,
                        r -> new ApiResponse(200, "application/x-pem-file", pki.caCertificatePem())),
                new Endpoint("GET", "/api/v1/pki/crl.pem", false,
                        r -> new ApiResponse(200, "application/x-pem-file", pki.crlPem())),
                new Endpoint("GET", "/api/v1/workspaces/{workspace}/acl", true, this::listAcl),
                new Endpoint("PUT", "/api/v1/workspaces/{workspace}/acl", true, this::replaceAcl),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/acl", true, this::addAclRule),
                new Endpoint("DELETE", "/api/v1/workspaces/{workspace}/acl/{rule}", true, this::deleteAclRule),
                new Endpoint("GET", "/api/v1/workspaces/{workspace}/api-keys", true, this::listWorkspaceKeys),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/api-keys", true, this::createWorkspaceKey),
                new Endpoint("POST", "/api/v1/workspaces/{workspace}/api-keys/{key}/revoke", true,
                        this::revokeWorkspaceKey),
                new Endpoint("GET", "/api/v1/api-keys", true, this::listPlatformKeys),
                new Endpoint("POST", "/api/v1/api-keys", true, this::createPlatformKey),
                new Endpoint("POST", "/api/v1/api-keys/{key}/revoke", true, this::revokePlatformKey)));
        this.endpoints = List.copyOf(all);
    }

    List<Endpoint> endpoints() {
        return endpoints;
    }

    // ---- workspaces ---------------------------------------------------------------------------------------------

    private ApiResponse listWorkspaces(ApiRequest r) {
        ArrayNode out = JSON.createArrayNode();
        for (Workspace w : workspaces.list()) {
            if (r.caller().sees(w.id())) {
                out.add(json(w));
            }
        }
        return ApiResponse.json(200, out);
    }

    private static final Set<String> WORKSPACE_FIELDS = Set.of("id", "name", "logPublicRead", "anonymousTopicPrefix",
            "quotas", "anonymousRateQuota", "logAnonymousTopics");
    private static final Set<String> ANONYMOUS_RATE_FIELDS = Set.of("messagesPerSecond", "bytesPerSecond");
    private static final Set<String> QUOTA_FIELDS = Set.of("maxConnections", "maxMessagesPerSecond",
            "maxBytesPerSecond", "maxSubscriptionsPerClient", "maxRetainedMessages", "maxQueuedMessages");

    private ApiResponse createWorkspace(ApiRequest r) {
        requirePlatformAdmin(r);
        ObjectNode o = r.object(WORKSPACE_FIELDS);
        String id = ApiRequest.text(o, "id", true, WORKSPACE_ID,
                "1 to 63 lower-case letters, digits and '-', starting with a letter or digit");
        String name = ApiRequest.text(o, "name", false, NAME, "1 to 200 characters");
        Boolean publicRead = ApiRequest.bool(o, "logPublicRead");
        Boolean logAnonymous = ApiRequest.bool(o, "logAnonymousTopics");
        Workspace w = new Workspace(id, name == null ? id : name, Instant.now(),
                ApiRequest.text(o, "anonymousTopicPrefix", false, TOPIC_PREFIX,
                        "a topic prefix ending in '/', without wildcards"),
                publicRead != null && publicRead, quotas(o, null), anonymousRateQuota(o, null),
                logAnonymous != null && logAnonymous);
        Workspace stored;
        try {
            stored = workspaces.create(w);
        } catch (StoreConflict e) {
            throw ApiError.conflict("id", "workspace " + id + " exists");
        }
        effects.workspaceCreated(id);
        return ApiResponse.json(201, json(stored));
    }

    private ApiResponse getWorkspace(ApiRequest r) {
        return ApiResponse.json(200, json(visibleWorkspace(r)));
    }

    private ApiResponse updateWorkspace(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        ObjectNode o = r.object(Set.of("name", "logPublicRead", "anonymousTopicPrefix", "quotas", "anonymousRateQuota",
                "logAnonymousTopics"));
        if (o.has("quotas") && !r.caller().isPlatformAdmin()) {
            throw ApiError.forbidden("only a platform admin key may change quotas");
        }
        String name = ApiRequest.text(o, "name", false, NAME, "1 to 200 characters");
        Boolean publicRead = ApiRequest.bool(o, "logPublicRead");
        Boolean logAnonymous = ApiRequest.bool(o, "logAnonymousTopics");
        String prefix = o.has("anonymousTopicPrefix") ? ApiRequest.text(o, "anonymousTopicPrefix", false,
                TOPIC_PREFIX, "a topic prefix ending in '/', without wildcards") : w.anonymousTopicPrefix();
        Workspace updated = new Workspace(w.id(), name == null ? w.name() : name, w.createdAt(), prefix,
                publicRead == null ? w.logPublicRead() : publicRead, quotas(o, w.quotas()),
                anonymousRateQuota(o, w.anonymousRateQuota()),
                logAnonymous == null ? w.logAnonymousTopics() : logAnonymous);
        workspaces.update(updated);
        effects.workspaceChanged(updated.id());
        return ApiResponse.json(200, json(updated));
    }

    private ApiResponse deleteWorkspace(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requirePlatformAdmin(r);
        if (ClientIdentity.DEFAULT_WORKSPACE.equals(w.id())) {
            throw ApiError.badRequest("workspace", "the default workspace cannot be deleted");
        }
        workspaces.delete(w.id());
        effects.workspaceDeleted(w.id());
        return new ApiResponse(204, "application/json", "");
    }

    // ---- devices ------------------------------------------------------------------------------------------------

    private ApiResponse listDevices(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        ArrayNode out = JSON.createArrayNode();
        devices.list(w.id()).forEach(d -> out.add(json(d)));
        return ApiResponse.json(200, out);
    }

    private ApiResponse createDevice(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        ObjectNode o = r.object(Set.of("id", "groups"));
        String id = ApiRequest.text(o, "id", true, DEVICE_ID,
                "1 to 128 letters, digits, '.', '_', ':', '@' and '-', starting with a letter or digit");
        List<String> groups = groups(o);
        Device stored;
        try {
            stored = devices.create(new Device(w.id(), id, Instant.now(), groups));
        } catch (StoreConflict e) {
            throw ApiError.conflict("id", "device " + id + " exists in workspace " + w.id());
        }
        if (!groups.isEmpty()) {
            effects.accessRulesChanged(w.id());
        }
        return ApiResponse.json(201, json(stored));
    }

    private ApiResponse getDevice(ApiRequest r) {
        return ApiResponse.json(200, json(visibleDevice(r)));
    }

    private ApiResponse updateDevice(ApiRequest r) {
        Device d = visibleDevice(r);
        requireAdmin(r, d.workspaceId());
        ObjectNode o = r.object(Set.of("groups"));
        if (!o.has("groups")) {
            return ApiResponse.json(200, json(d));
        }
        Device updated = devices.setGroups(d.workspaceId(), d.id(), groups(o))
                .orElseThrow(() -> ApiError.notFound("no device " + d.id() + " in workspace " + d.workspaceId()));
        effects.accessRulesChanged(d.workspaceId());
        return ApiResponse.json(200, json(updated));
    }

    private ApiResponse deleteDevice(ApiRequest r) {
        Device d = visibleDevice(r);
        requireAdmin(r, d.workspaceId());
        List<Credential> used = credentials.listForDevice(d.workspaceId(), d.id());
        devices.delete(d.workspaceId(), d.id());
        used.forEach(c -> effects.credentialRevoked(c.id()));
        effects.deviceDeleted(d.workspaceId(), d.id());
        effects.accessRulesChanged(d.workspaceId());
        return new ApiResponse(204, "application/json", "");
    }

    // ---- credentials --------------------------------------------------------------------------------------------

    private ApiResponse listCredentials(ApiRequest r) {
        Device d = visibleDevice(r);
        ArrayNode out = JSON.createArrayNode();
        credentials.listForDevice(d.workspaceId(), d.id()).forEach(c -> out.add(json(c)));
        return ApiResponse.json(200, out);
    }

    /**
     * A new password credential. Rotation is a second credential beside the first (both valid), then the first
     * revoked: devices move over without downtime. Without a password, one is made and shown once.
     */
    private ApiResponse createCredential(ApiRequest r) {
        Device d = visibleDevice(r);
        requireAdmin(r, d.workspaceId());
        ObjectNode o = r.object(Set.of("kind", "username", "password", "expiresAt"));
        String kind = ApiRequest.text(o, "kind", false, Pattern.compile("password"), "\"password\"");
        String username = ApiRequest.text(o, "username", false, USERNAME,
                "1 to 256 characters without spaces or control characters");
        String password = ApiRequest.text(o, "password", false, Pattern.compile("[^\\p{Cntrl}]{12,256}"),
                "12 to 256 characters (or leave it out to have one made)");
        Instant expiresAt = ApiRequest.instant(o, "expiresAt");
        if (expiresAt != null && !expiresAt.isAfter(Instant.now())) {
            throw ApiError.badRequest("expiresAt", "expiresAt must be in the future");
        }
        if (password != null && DeviceTokens.isTokenShaped(password)) {
            // at CONNECT it would be taken for an access token, and never match
            throw ApiError.badRequest("password", "password must not look like an access token"
                    + " (three base64url parts separated by dots)");
        }
        boolean made = password == null;
        if (made) {
            byte[] random = new byte[18];
            RANDOM.nextBytes(random);
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        }
        Credential c = new Credential(UUID.randomUUID().toString(), d.workspaceId(), d.id(),
                kind == null ? "password" : kind, username == null ? d.id() : username, PasswordHash.of(password),
                Instant.now(), expiresAt, null);
        try {
            credentials.create(c);
        } catch (StoreConflict e) {
            throw ApiError.conflict("username", "user name " + c.username() + " belongs to another device");
        }
        ObjectNode out = json(c);
        if (made) {
            out.put("password", password); // shown once: only its hash is kept
        }
        return ApiResponse.json(201, out);
    }

    private ApiResponse revokeCredential(ApiRequest r) {
        Credential c = visibleCredential(r);
        requireAdmin(r, c.workspaceId());
        Credential revoked = credentials.revoke(c.id(), Instant.now()).orElse(c);
        effects.credentialRevoked(c.id());
        return ApiResponse.json(200, json(revoked));
    }

    private ApiResponse deleteCredential(ApiRequest r) {
        Credential c = visibleCredential(r);
        requireAdmin(r, c.workspaceId());
        credentials.delete(c.id());
        effects.credentialRevoked(c.id());
        return new ApiResponse(204, "application/json", "");
    }

    // ---- access tokens ------------------------------------------------------------------------------------------

    /**
     * A new access token (a JWT the device presents as its MQTT password). Its id is a credential's, stored before
     * the token is signed, so that it is listed with the device's credentials and revoked as they are; the token
     * itself is shown once and not kept.
     */
    private ApiResponse issueToken(ApiRequest r) {
        Device d = visibleDevice(r);
        requireAdmin(r, d.workspaceId());
        ObjectNode o = r.object(Set.of("expiresIn"));
        Duration lifetime = lifetime(o.get("expiresIn"));
        Instant now = Instant.now();
        Instant expiresAt = DeviceTokens.expiry(now, lifetime);
        Credential c = credentials.create(new Credential(DeviceTokens.newId(), d.workspaceId(), d.id(),
                Credential.TOKEN, null, null, now, expiresAt, null));
        DeviceTokens.Issued issued = tokens.sign(c.id(), d.workspaceId(), d.id(), now, expiresAt);
        ObjectNode out = json(c);
        out.put("token", issued.token());
        out.put("keyId", issued.keyId());
        return ApiResponse.json(201, out);
    }

    /** {@code expiresIn}: an ISO-8601 duration ("P30D", "PT12H") or a number of seconds; absent: the default. */
    private Duration lifetime(com.fasterxml.jackson.databind.JsonNode v) {
        if (v == null || v.isNull()) {
            return tokens.defaultLifetime();
        }
        Duration d = null;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            d = Duration.ofSeconds(v.asLong());
        } else if (v.isTextual()) {
            try {
                d = Duration.parse(v.textValue());
            } catch (java.time.format.DateTimeParseException e) {
                d = null;
            }
        }
        if (d == null || d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(tokens.maxLifetime()) > 0) {
            throw ApiError.badRequest("expiresIn", "expiresIn must be an ISO-8601 duration such as \"P30D\" or a"
                    + " number of seconds, from 1 second to " + tokens.maxLifetime().toSeconds() + " seconds");
        }
        return d.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    private ApiResponse listTokenKeys(ApiRequest r) {
        requirePlatformAdmin(r);
        ArrayNode out = JSON.createArrayNode();
        List<com.nimbusds.jose.jwk.JWK> keys = tokens.keys().publicSet().getKeys();
        for (int i = 0; i < keys.size(); i++) {
            out.add(json(keys.get(i), i == keys.size() - 1));
        }
        return ApiResponse.json(200, out);
    }

    /** A new signing key: it signs the tokens issued from now on; the older keys still verify theirs. */
    private ApiResponse addTokenKey(ApiRequest r) {
        requirePlatformAdmin(r);
        return ApiResponse.json(201, json(tokens.keys().add().toPublicJWK(), true));
    }

    /** Removes a key: the tokens it signed are refused from now on (clients connected with them stay). */
    private ApiResponse removeTokenKey(ApiRequest r) {
        requirePlatformAdmin(r);
        boolean removed;
        try {
            removed = tokens.keys().remove(r.param("kid"));
        } catch (IllegalStateException e) {
            throw ApiError.badRequest("kid", e.getMessage());
        }
        if (!removed) {
            throw ApiError.notFound("no token key " + r.param("kid"));
        }
        return new ApiResponse(204, "application/json", "");
    }

    private static ObjectNode json(com.nimbusds.jose.jwk.JWK key, boolean signing) {
        ObjectNode n = JSON.createObjectNode();
        n.put("kid", key.getKeyID());
        n.put("createdAt", key.getIssueTime() == null ? null : key.getIssueTime().toInstant().toString());
        n.put("signing", signing);
        return n;
    }

    // ---- certificates -------------------------------------------------------------------------------------------

    private ApiResponse listCertificates(ApiRequest r) {
        Device d = visibleDevice(r);
        ArrayNode out = JSON.createArrayNode();
        certificates.listForDevice(d.workspaceId(), d.id()).forEach(c -> out.add(json(c)));
        return ApiResponse.json(200, out);
    }

    /**
     * Signs a device's PKCS#10 CSR (the device keeps its private key): the body is the PEM as {@code openssl req}
     * writes it. Its CN must be the device's id, so that the certificate names the device it was issued to. The
     * answer is JSON, or with {@code ?format=pem} the chain (certificate, then the CA) as PEM, ready for
     * {@code --cert}. {@code ?validityDays=} sets its lifetime (default 365).
     */
    private ApiResponse signCertificate(ApiRequest r) {
        Device d = visibleDevice(r);
        requireAdmin(r, d.workspaceId());
        String csr = r.body();
        if (csr == null || !csr.contains("-----BEGIN CERTIFICATE REQUEST-----")) {
            throw ApiError.badRequest("csr", "the body must be a PEM certificate request"
                    + " (-----BEGIN CERTIFICATE REQUEST-----), as openssl req -new writes it");
        }
        long days = 365;
        String validity = r.query().get("validityDays");
        if (validity != null) {
            try {
                days = Long.parseLong(validity);
            } catch (NumberFormatException e) {
                days = -1;
            }
            if (days < 1 || days > 3650) {
                throw ApiError.badRequest("validityDays", "validityDays must be from 1 to 3650");
            }
        }
        io.anchormq.platform.pki.IssuedCertificate issued;
        try {
            issued = pki.sign(csr, Duration.ofDays(days));
        } catch (CsrRejectedException e) {
            throw ApiError.badRequest("csr", e.getMessage());
        }
        if (!d.id().equals(issued.commonName())) {
            throw ApiError.badRequest("csr", "the request's CN is " + issued.commonName() + ", not the device id "
                    + d.id());
        }
        IssuedCertificate stored = certificates.create(new IssuedCertificate(issued.serial(), d.workspaceId(), d.id(),
                issued.subject(), issued.notBefore(), issued.notAfter(), issued.certificatePem(), Instant.now(),
                null));
        if ("pem".equals(r.query().get("format"))) {
            return new ApiResponse(201, "application/x-pem-file", issued.chainPem());
        }
        ObjectNode out = json(stored);
        out.put("certificate", issued.certificatePem());
        out.put("chain", issued.chainPem());
        return ApiResponse.json(201, out);
    }

    /** Revokes at once: in the CRL, refused at the next TLS handshake, and the clients that used it disconnected. */
    private ApiResponse revokeCertificate(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        String serial = r.param("serial").toLowerCase(java.util.Locale.ROOT);
        IssuedCertificate c = certificates.find(serial).filter(x -> x.workspaceId().equals(w.id()))
                .orElseThrow(() -> ApiError.notFound("no certificate " + serial + " in workspace " + w.id()));
        IssuedCertificate revoked = certificates.revoke(c.serial(), Instant.now()).orElse(c);
        pki.revoke(new java.math.BigInteger(c.serial(), 16), revoked.revokedAt() == null ? Instant.now()
                : revoked.revokedAt());
        effects.credentialRevoked(DeviceAuthenticator.certificateCredential(c.serial()));
        return ApiResponse.json(200, json(revoked));
    }

    static ObjectNode json(IssuedCertificate c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("serial", c.serial());
        n.put("workspace", c.workspaceId());
        n.put("device", c.deviceId());
        n.put("subject", c.subject());
        n.put("notBefore", c.notBefore().toString());
        n.put("notAfter", c.notAfter().toString());
        n.put("issuedAt", c.issuedAt().toString());
        n.put("revokedAt", c.revokedAt() == null ? null : c.revokedAt().toString());
        return n;
    }

    // ---- ACL ----------------------------------------------------------------------------------------------------

    private static final Set<String> RULE_FIELDS = Set.of("subjectKind", "subject", "action", "topic", "permission");

    private ApiResponse listAcl(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        return ApiResponse.json(200, rulesJson(acl.list(w.id())));
    }

    /** Replaces the whole ACL in one transaction: {@code {"rules": [...]}}, in the order given. */
    private ApiResponse replaceAcl(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        ObjectNode o = r.object(Set.of("rules"));
        if (!o.has("rules") || !o.get("rules").isArray()) {
            throw ApiError.badRequest("rules", "rules must be an array of rules");
        }
        if (o.get("rules").size() > 1000) {
            throw ApiError.badRequest("rules", "at most 1000 rules");
        }
        List<AclRule> rules = new ArrayList<>();
        int position = 0;
        for (com.fasterxml.jackson.databind.JsonNode n : o.get("rules")) {
            rules.add(rule(w.id(), position++, n, "rules[" + (position - 1) + "]."));
        }
        List<AclRule> stored = acl.replaceAll(w.id(), rules);
        effects.accessRulesChanged(w.id());
        return ApiResponse.json(200, rulesJson(stored));
    }

    /** Adds one rule after the others. */
    private ApiResponse addAclRule(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        ObjectNode o = r.object(RULE_FIELDS);
        List<AclRule> existing = acl.list(w.id());
        int position = existing.isEmpty() ? 0 : existing.get(existing.size() - 1).position() + 1;
        AclRule stored = acl.create(rule(w.id(), position, o, ""));
        effects.accessRulesChanged(w.id());
        return ApiResponse.json(201, json(stored));
    }

    private ApiResponse deleteAclRule(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        if (!acl.delete(w.id(), r.param("rule"))) {
            throw ApiError.notFound("no ACL rule " + r.param("rule") + " in workspace " + w.id());
        }
        effects.accessRulesChanged(w.id());
        return new ApiResponse(204, "application/json", "");
    }

    private static AclRule rule(String workspace, int position, com.fasterxml.jackson.databind.JsonNode node,
                                String prefix) {
        if (!(node instanceof ObjectNode o)) {
            throw ApiError.badRequest(prefix.isEmpty() ? null : prefix.substring(0, prefix.length() - 1),
                    "a rule must be a JSON object");
        }
        o.fieldNames().forEachRemaining(f -> {
            if (!RULE_FIELDS.contains(f)) {
                throw ApiError.badRequest(prefix + f, "unknown field " + f + " (expected one of " + RULE_FIELDS + ")");
            }
        });
        String kind = field(o, "subjectKind", prefix, Pattern.compile("any|device|group|anonymous"),
                "any, device, group or anonymous", true);
        String subject = field(o, "subject", prefix, kind.equals("device") ? DEVICE_ID : GROUP,
                "a device id or group name", kind.equals("device") || kind.equals("group"));
        String action = field(o, "action", prefix, Pattern.compile("publish|subscribe|all"),
                "publish, subscribe or all", true);
        String topic = field(o, "topic", prefix, Pattern.compile("[^\\p{Cntrl}]{1,1024}"), "a topic filter", true);
        if (io.anchormq.broker.routing.TopicFilter.parse(topic) == null || topic.startsWith("$share/")) {
            throw ApiError.badRequest(prefix + "topic", "topic must be a topic filter (no $share/ prefix): " + topic);
        }
        String permission = field(o, "permission", prefix, Pattern.compile("allow|deny"), "allow or deny", true);
        return new AclRule(null, workspace, position, kind, kind.equals("device") || kind.equals("group") ? subject
                : null, action, topic, permission, null);
    }

    private static String field(ObjectNode o, String name, String prefix, Pattern format, String description,
                                boolean required) {
        try {
            return ApiRequest.text(o, name, required, format, description);
        } catch (ApiError e) {
            throw ApiError.badRequest(prefix + name, e.getMessage());
        }
    }

    private static ArrayNode rulesJson(List<AclRule> rules) {
        ArrayNode out = JSON.createArrayNode();
        rules.forEach(x -> out.add(json(x)));
        return out;
    }

    static ObjectNode json(AclRule x) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", x.id());
        n.put("position", x.position());
        n.put("subjectKind", x.subjectKind());
        n.put("subject", x.subject());
        n.put("action", x.action());
        n.put("topic", x.topic());
        n.put("permission", x.permission());
        return n;
    }

    // ---- API keys -----------------------------------------------------------------------------------------------

    private ApiResponse listWorkspaceKeys(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        ArrayNode out = JSON.createArrayNode();
        apiKeyTable.list(w.id()).forEach(k -> out.add(json(k)));
        return ApiResponse.json(200, out);
    }

    private ApiResponse createWorkspaceKey(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        ObjectNode o = r.object(Set.of("role", "name"));
        String role = ApiRequest.text(o, "role", true, null, null);
        if (!ROLES.contains(role)) {
            throw ApiError.badRequest("role", "role must be one of " + ROLES);
        }
        String name = ApiRequest.text(o, "name", false, NAME, "1 to 200 characters");
        return issued(apiKeys.issue(w.id(), role, name == null ? role : name));
    }

    private ApiResponse revokeWorkspaceKey(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        requireAdmin(r, w.id());
        ApiKey k = keyOf(w.id(), r.param("key"))
                .orElseThrow(() -> ApiError.notFound("no API key " + r.param("key") + " in workspace " + w.id()));
        return ApiResponse.json(200, json(apiKeyTable.revoke(k.id(), Instant.now()).orElse(k)));
    }

    private ApiResponse listPlatformKeys(ApiRequest r) {
        requirePlatformAdmin(r);
        ArrayNode out = JSON.createArrayNode();
        apiKeyTable.list(null).forEach(k -> out.add(json(k)));
        return ApiResponse.json(200, out);
    }

    private ApiResponse createPlatformKey(ApiRequest r) {
        requirePlatformAdmin(r);
        ObjectNode o = r.object(Set.of("name"));
        String name = ApiRequest.text(o, "name", false, NAME, "1 to 200 characters");
        return issued(apiKeys.issue(null, Caller.PLATFORM_ADMIN, name == null ? Caller.PLATFORM_ADMIN : name));
    }

    private ApiResponse revokePlatformKey(ApiRequest r) {
        requirePlatformAdmin(r);
        ApiKey k = keyOf(null, r.param("key"))
                .orElseThrow(() -> ApiError.notFound("no platform API key " + r.param("key")));
        if (k.id().equals(r.caller().keyId())) {
            throw ApiError.badRequest("key", "a key cannot revoke itself (make another platform admin key first)");
        }
        return ApiResponse.json(200, json(apiKeyTable.revoke(k.id(), Instant.now()).orElse(k)));
    }

    /** The key of that id, if it belongs to {@code workspace} (null: a platform-wide key). */
    private Optional<ApiKey> keyOf(String workspace, String id) {
        return apiKeyTable.find(id).filter(k -> java.util.Objects.equals(k.workspaceId(), workspace));
    }

    private static ApiResponse issued(ApiKeys.Issued issued) {
        ObjectNode out = json(issued.key());
        out.put("key", issued.secret()); // shown once: only its hash is kept
        return ApiResponse.json(201, out);
    }

    // ---- lookups that hide other workspaces ---------------------------------------------------------------------

    /** The path's workspace, if the caller may see it; else 404, as for one that does not exist. */
    Workspace visibleWorkspace(ApiRequest r) {
        String id = r.param("workspace");
        if (!r.caller().sees(id)) {
            throw ApiError.notFound("no workspace " + id);
        }
        return workspaces.find(id).orElseThrow(() -> ApiError.notFound("no workspace " + id));
    }

    Device visibleDevice(ApiRequest r) {
        Workspace w = visibleWorkspace(r);
        String id = r.param("device");
        return devices.find(w.id(), id).orElseThrow(() -> ApiError.notFound("no device " + id + " in workspace "
                + w.id()));
    }

    private Credential visibleCredential(ApiRequest r) {
        Device d = visibleDevice(r);
        String id = r.param("credential");
        return credentials.find(id)
                .filter(c -> c.workspaceId().equals(d.workspaceId()) && c.deviceId().equals(d.id()))
                .orElseThrow(() -> ApiError.notFound("no credential " + id + " of device " + d.id()));
    }

    static void requireAdmin(ApiRequest r, String workspace) {
        if (!r.caller().administers(workspace)) {
            throw ApiError.forbidden("this key may only read workspace " + workspace);
        }
    }

    private static void requirePlatformAdmin(ApiRequest r) {
        if (!r.caller().isPlatformAdmin()) {
            throw ApiError.forbidden("this needs a platform admin key");
        }
    }

    // ---- input --------------------------------------------------------------------------------------------------

    private static List<String> groups(ObjectNode o) {
        if (!o.has("groups") || o.get("groups").isNull()) {
            return List.of();
        }
        if (!o.get("groups").isArray()) {
            throw ApiError.badRequest("groups", "groups must be an array of group names");
        }
        List<String> groups = new ArrayList<>();
        o.get("groups").forEach(g -> {
            if (!g.isTextual() || !GROUP.matcher(g.textValue()).matches()) {
                throw ApiError.badRequest("groups", "each group must be 1 to 64 letters, digits, '.', '_', ':', '-'");
            }
            if (!groups.contains(g.textValue())) {
                groups.add(g.textValue());
            }
        });
        if (groups.size() > 64) {
            throw ApiError.badRequest("groups", "at most 64 groups");
        }
        return groups;
    }

    /** The quotas of the body's {@code quotas} object over {@code base} (null fields: the platform default). */
    private static Quotas quotas(ObjectNode o, Quotas base) {
        Quotas q = base == null ? new Quotas(null, null, null, null, null, null) : base;
        if (!o.has("quotas") || o.get("quotas").isNull()) {
            return q;
        }
        if (!(o.get("quotas") instanceof ObjectNode qo)) {
            throw ApiError.badRequest("quotas", "quotas must be an object");
        }
        qo.fieldNames().forEachRemaining(f -> {
            if (!QUOTA_FIELDS.contains(f)) {
                throw ApiError.badRequest("quotas." + f, "unknown quota " + f + " (expected one of " + QUOTA_FIELDS + ")");
            }
        });
        return new Quotas(
                qo.has("maxConnections") ? toInt(ApiRequest.count(qo, "maxConnections", Integer.MAX_VALUE)) : q.maxConnections(),
                qo.has("maxMessagesPerSecond") ? toInt(ApiRequest.count(qo, "maxMessagesPerSecond", Integer.MAX_VALUE))
                        : q.maxMessagesPerSecond(),
                qo.has("maxBytesPerSecond") ? ApiRequest.count(qo, "maxBytesPerSecond", Long.MAX_VALUE) : q.maxBytesPerSecond(),
                qo.has("maxSubscriptionsPerClient")
                        ? toInt(ApiRequest.count(qo, "maxSubscriptionsPerClient", Integer.MAX_VALUE))
                        : q.maxSubscriptionsPerClient(),
                qo.has("maxRetainedMessages") ? toInt(ApiRequest.count(qo, "maxRetainedMessages", Integer.MAX_VALUE))
                        : q.maxRetainedMessages(),
                qo.has("maxQueuedMessages") ? toInt(ApiRequest.count(qo, "maxQueuedMessages", Integer.MAX_VALUE))
                        : q.maxQueuedMessages());
    }

    /**
     * The rates of the body's {@code anonymousRateQuota} object over {@code base} (null fields: the platform
     * default). A workspace admin may set them: its anonymous clients are held to the workspace's quotas as well.
     */
    private static AnonymousRateQuota anonymousRateQuota(ObjectNode o, AnonymousRateQuota base) {
        AnonymousRateQuota q = base == null ? AnonymousRateQuota.DEFAULTS : base;
        if (!o.has("anonymousRateQuota") || o.get("anonymousRateQuota").isNull()) {
            return q;
        }
        if (!(o.get("anonymousRateQuota") instanceof ObjectNode ao)) {
            throw ApiError.badRequest("anonymousRateQuota", "anonymousRateQuota must be an object");
        }
        ao.fieldNames().forEachRemaining(f -> {
            if (!ANONYMOUS_RATE_FIELDS.contains(f)) {
                throw ApiError.badRequest("anonymousRateQuota." + f, "unknown field " + f + " (expected one of "
                        + ANONYMOUS_RATE_FIELDS + ")");
            }
        });
        try {
            return new AnonymousRateQuota(
                    ao.has("messagesPerSecond")
                            ? toInt(ApiRequest.count(ao, "messagesPerSecond", Integer.MAX_VALUE))
                            : q.messagesPerSecond(),
                    ao.has("bytesPerSecond") ? ApiRequest.count(ao, "bytesPerSecond", Long.MAX_VALUE)
                            : q.bytesPerSecond());
        } catch (ApiError e) {
            throw ApiError.badRequest("anonymousRateQuota." + e.field, e.getMessage());
        }
    }

    private static Integer toInt(Long v) {
        return v == null ? null : v.intValue();
    }

    // ---- output (never a hash) ----------------------------------------------------------------------------------

    static ObjectNode json(Workspace w) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", w.id());
        n.put("name", w.name());
        n.put("createdAt", w.createdAt().toString());
        n.put("logPublicRead", w.logPublicRead());
        n.put("anonymousTopicPrefix", w.anonymousTopicPrefix());
        ObjectNode q = n.putObject("quotas");
        Quotas quotas = w.quotas();
        q.put("maxConnections", quotas.maxConnections());
        q.put("maxMessagesPerSecond", quotas.maxMessagesPerSecond());
        q.put("maxBytesPerSecond", quotas.maxBytesPerSecond());
        q.put("maxSubscriptionsPerClient", quotas.maxSubscriptionsPerClient());
        q.put("maxRetainedMessages", quotas.maxRetainedMessages());
        q.put("maxQueuedMessages", quotas.maxQueuedMessages());
        ObjectNode a = n.putObject("anonymousRateQuota");
        a.put("messagesPerSecond", w.anonymousRateQuota().messagesPerSecond());
        a.put("bytesPerSecond", w.anonymousRateQuota().bytesPerSecond());
        n.put("logAnonymousTopics", w.logAnonymousTopics());
        return n;
    }

    static ObjectNode json(Device d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("workspace", d.workspaceId());
        n.put("id", d.id());
        n.put("createdAt", d.createdAt().toString());
        ArrayNode g = n.putArray("groups");
        d.groups().forEach(g::add);
        return n;
    }

    static ObjectNode json(Credential c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", c.id());
        n.put("workspace", c.workspaceId());
        n.put("device", c.deviceId());
        n.put("kind", c.kind());
        n.put("username", c.username());
        n.put("createdAt", c.createdAt().toString());
        n.put("expiresAt", c.expiresAt() == null ? null : c.expiresAt().toString());
        n.put("revokedAt", c.revokedAt() == null ? null : c.revokedAt().toString());
        n.put("valid", c.validAt(Instant.now()));
        return n;
    }

    static ObjectNode json(ApiKey k) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", k.id());
        n.put("workspace", k.workspaceId());
        n.put("role", k.role());
        n.put("name", k.name());
        n.put("createdAt", k.createdAt().toString());
        n.put("revokedAt", k.revokedAt() == null ? null : k.revokedAt().toString());
        return n;
    }

    /** The endpoint and path parameters a request's method and path match, if any. */
    Optional<Map.Entry<Endpoint, Map<String, String>>> match(String method, String path) {
        for (Endpoint e : endpoints) {
            Matcher m = e.pattern().matcher(path);
            if (m.matches() && e.method().equals(method)) {
                List<String> names = e.paramNames();
                Map<String, String> params = new HashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    params.put(names.get(i), URLDecoder.decode(m.group(i + 1), StandardCharsets.UTF_8));
                }
                return Optional.of(Map.entry(e, params));
            }
        }
        return Optional.empty();
    }

    /** Whether some endpoint has this path (with another method): a 405 rather than a 404. */
    boolean hasPath(String path) {
        return endpoints.stream().anyMatch(e -> e.pattern().matcher(path).matches());
    }
}
