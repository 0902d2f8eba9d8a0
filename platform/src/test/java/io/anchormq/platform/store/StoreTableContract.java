package io.anchormq.platform.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The table operations, the same for every database the store runs on: a subclass per database gives a fresh,
 * empty one for each test.
 */
@Timeout(60)
abstract class StoreTableContract {

    /** A time with more than microseconds, to see that what create returns is what later reads give. */
    static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456789Z");

    Database db;
    WorkspaceTable workspaces;
    DeviceTable devices;
    CredentialTable credentials;
    ApiKeyTable apiKeys;
    AclTable acl;
    CertificateTable certificates;

    /** Settings of a new, empty database (another one at each call). */
    abstract StoreSettings freshDatabase() throws Exception;

    abstract String expectedKind();

    @BeforeEach
    void open() throws Exception {
        db = Database.open(freshDatabase());
        tables();
    }

    private void tables() {
        workspaces = new WorkspaceTable(db);
        devices = new DeviceTable(db);
        credentials = new CredentialTable(db);
        apiKeys = new ApiKeyTable(db);
        acl = new AclTable(db);
        certificates = new CertificateTable(db);
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    // ---- workspaces

    @Test
    void migrationCreatesTheDefaultWorkspace() {
        assertEquals(expectedKind(), db.kind());
        Workspace w = workspaces.find(Workspace.DEFAULT_ID).orElseThrow();
        assertTrue(w.logPublicRead());
        assertNull(w.anonymousTopicPrefix());
        assertEquals(Quotas.DEFAULTS, w.quotas());
        assertNotNull(w.createdAt());
        assertEquals(List.of("default"), workspaces.list().stream().map(Workspace::id).toList());
    }

    @Test
    void workspaceCreateFindListUpdateDelete() {
        Quotas quotas = new Quotas(10, 100, 5_000_000_000L, null, 7, 1000);
        Workspace created = workspaces.create(new Workspace("acme", "Acme", T0, "anon/", false, quotas));
        assertEquals(T0.truncatedTo(ChronoUnit.MICROS), created.createdAt());
        assertEquals(Optional.of(created), workspaces.find("acme"));
        assertEquals(List.of("acme", "default"), workspaces.list().stream().map(Workspace::id).toList());

        assertEquals(AnonymousRateQuota.DEFAULTS, created.anonymousRateQuota());
        assertFalse(created.logAnonymousTopics());

        Workspace changed = new Workspace("acme", "Acme Corp", Instant.EPOCH, null, true, Quotas.DEFAULTS);
        Workspace updated = workspaces.update(changed).orElseThrow();
        assertEquals(new Workspace("acme", "Acme Corp", created.createdAt(), null, true, Quotas.DEFAULTS), updated,
                "everything but the creation time replaced");
        assertEquals(Optional.of(updated), workspaces.find("acme"));
        Workspace anonymous = new Workspace("acme", "Acme Corp", null, "anon/", true, Quotas.DEFAULTS,
                new AnonymousRateQuota(5, 8_000_000_000L), true);
        assertEquals(new Workspace("acme", "Acme Corp", created.createdAt(), "anon/", true, Quotas.DEFAULTS,
                new AnonymousRateQuota(5, 8_000_000_000L), true), workspaces.update(anonymous).orElseThrow(),
                "the anonymous clients' settings replaced");
        assertEquals(new AnonymousRateQuota(0, null), workspaces.create(new Workspace("w0", "W0", null, "a/", false,
                null, new AnonymousRateQuota(0, null), false)).anonymousRateQuota());
        assertEquals(new AnonymousRateQuota(0, null), workspaces.find("w0").orElseThrow().anonymousRateQuota(),
                "0 (no limit of its own) is not null (the default)");
        assertEquals(Optional.empty(), workspaces.update(new Workspace("nope", "x", null, null, false, null)));

        assertTrue(workspaces.delete("acme"));
        assertFalse(workspaces.delete("acme"));
        assertEquals(Optional.empty(), workspaces.find("acme"));
    }

    @Test
    void workspaceCreatedWithoutTimeGetsNow() {
        Instant before = Instant.now().minusSeconds(1);
        Workspace w = workspaces.create(new Workspace("w", "W", null, null, false, null));
        assertTrue(w.createdAt().isAfter(before));
        assertEquals(Optional.of(w), workspaces.find("w"));
    }

    @Test
    void duplicateWorkspaceIsAConflict() {
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        assertThrows(StoreConflict.class,
                () -> workspaces.create(new Workspace("acme", "Other", T0, null, true, null)));
        assertThrows(StoreConflict.class,
                () -> workspaces.create(new Workspace("default", "Again", T0, null, true, null)));
        assertEquals("Acme", workspaces.find("acme").orElseThrow().name());
    }

    @Test
    void valuesTheSchemaRefusesAreIllegalArguments() {
        String tooLong = "w".repeat(65);
        assertThrows(IllegalArgumentException.class,
                () -> workspaces.create(new Workspace(tooLong, "x", T0, null, false, null)));
        assertThrows(IllegalArgumentException.class, () -> new Credential(null, "default", "d", "secret", "u", "h",
                T0, null, null));
        assertThrows(IllegalArgumentException.class, () -> new ApiKey(null, null, "root", "n", "h", T0, null));
        assertThrows(IllegalArgumentException.class,
                () -> new AclRule(null, "default", 0, "device", null, "publish", "#", "allow", null));
        assertThrows(IllegalArgumentException.class,
                () -> new AclRule(null, "default", 0, "any", null, "publish", "#", "maybe", null));
    }

    // ---- devices

    @Test
    void deviceCreateFindListGroupsDelete() {
        Device d1 = devices.create(new Device("default", "sensor-2", T0, List.of("roof", "all", "roof")));
        devices.create(new Device("default", "sensor-1", T0.plusSeconds(1), List.of()));
        assertEquals(List.of("all", "roof"), d1.groups(), "sorted, without duplicates");
        assertEquals(Optional.of(d1), devices.find("default", "sensor-2"));
        assertEquals(Optional.empty(), devices.find("default", "sensor-3"));

        List<Device> all = devices.list("default");
        assertEquals(List.of("sensor-1", "sensor-2"), all.stream().map(Device::id).toList());
        assertEquals(List.of(), all.get(0).groups());
        assertEquals(List.of("all", "roof"), all.get(1).groups());

        Device regrouped = devices.setGroups("default", "sensor-2", List.of("cellar")).orElseThrow();
        assertEquals(List.of("cellar"), regrouped.groups());
        assertEquals(Optional.of(regrouped), devices.find("default", "sensor-2"));
        assertEquals(List.of(), devices.setGroups("default", "sensor-2", List.of()).orElseThrow().groups());
        assertEquals(Optional.empty(), devices.setGroups("default", "nope", List.of("x")));

        assertTrue(devices.delete("default", "sensor-2"));
        assertFalse(devices.delete("default", "sensor-2"));
        assertEquals(List.of("sensor-1"), devices.list("default").stream().map(Device::id).toList());
    }

    @Test
    void deviceIdsAreScopedToTheirWorkspace() {
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        devices.create(new Device("default", "d", T0, List.of("g")));
        devices.create(new Device("acme", "d", T0, List.of("h")));
        assertEquals(List.of("g"), devices.find("default", "d").orElseThrow().groups());
        assertEquals(List.of("h"), devices.find("acme", "d").orElseThrow().groups());
        assertThrows(StoreConflict.class, () -> devices.create(new Device("acme", "d", T0, List.of())));
    }

    @Test
    void deviceOfAnUnknownWorkspaceIsAMissingReference() {
        StoreMissingReference e = assertThrows(StoreMissingReference.class,
                () -> devices.create(new Device("nope", "d", T0, List.of())));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    // ---- credentials

    @Test
    void credentialCreateFindRevokeDelete() {
        devices.create(new Device("default", "d", T0, List.of()));
        Credential c = credentials.create(new Credential(null, "default", "d", Credential.PASSWORD, "alice",
                "$argon2id$hash", T0, T0.plus(Duration.ofDays(30)), null));
        assertNotNull(c.id());
        assertEquals(Optional.of(c), credentials.find(c.id()));
        assertTrue(c.validAt(T0.plusSeconds(1)));
        assertFalse(c.validAt(T0.plus(Duration.ofDays(31))), "expired");

        Instant revokedAt = us(T0.plusSeconds(60));
        Credential revoked = credentials.revoke(c.id(), revokedAt).orElseThrow();
        assertEquals(revokedAt, revoked.revokedAt());
        assertFalse(revoked.validAt(revokedAt));
        assertTrue(revoked.validAt(revokedAt.minusMillis(1)));
        assertEquals(Optional.of(revoked), credentials.find(c.id()));
        assertEquals(revokedAt, credentials.revoke(c.id(), revokedAt.plusSeconds(60)).orElseThrow().revokedAt(),
                "a later revocation does not extend it");
        assertEquals(revokedAt.minusSeconds(10),
                credentials.revoke(c.id(), revokedAt.minusSeconds(10)).orElseThrow().revokedAt());
        assertEquals(Optional.empty(), credentials.revoke("no-such-id", revokedAt));

        assertTrue(credentials.delete(c.id()));
        assertFalse(credentials.delete(c.id()));
        assertEquals(Optional.empty(), credentials.find(c.id()));
    }

    @Test
    void credentialOfAnUnknownDeviceIsAMissingReference() {
        assertThrows(StoreMissingReference.class, () -> credentials.create(
                new Credential(null, "default", "ghost", Credential.TOKEN, "ghost", "h", T0, null, null)));
        assertEquals(List.of(), credentials.findByUsername("ghost"));
    }

    @Test
    void twoCredentialsOfOneDeviceShareAUsernameForRotation() {
        devices.create(new Device("default", "d", T0, List.of()));
        Credential old = credentials.create(password("d", "alice", T0));
        Credential next = credentials.create(password("d", "alice", T0.plusSeconds(5)));
        assertEquals(List.of(next, old), credentials.findByUsername("alice"), "newest first");

        credentials.revoke(old.id(), T0.plusSeconds(10));
        List<Credential> both = credentials.findByUsername("alice");
        assertEquals(List.of(next.id(), old.id()), both.stream().map(Credential::id).toList(), "revoked included");
        assertEquals(List.of(next.id()), both.stream().filter(x -> x.validAt(T0.plusSeconds(11)))
                .map(Credential::id).toList());
        assertEquals(List.of(old.id(), next.id()),
                credentials.listForDevice("default", "d").stream().map(Credential::id).toList());
    }

    @Test
    void aUsernameOfAnotherDeviceIsAConflict() {
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        devices.create(new Device("default", "d1", T0, List.of()));
        devices.create(new Device("default", "d2", T0, List.of()));
        devices.create(new Device("acme", "d1", T0, List.of()));
        credentials.create(password("d1", "alice", T0));

        assertThrows(StoreConflict.class, () -> credentials.create(password("d2", "alice", T0)),
                "another device of the same workspace");
        assertThrows(StoreConflict.class, () -> credentials.create(
                        new Credential(null, "acme", "d1", Credential.PASSWORD, "alice", "h", T0, null, null)),
                "a device of the same id in another workspace");
        credentials.create(password("d2", "bob", T0));
        assertEquals(List.of("d1"), credentials.findByUsername("alice").stream().map(Credential::deviceId).toList());
    }

    @Test
    void aUsernameIsFreeAgainOnceItsLastCredentialIsDeleted() {
        devices.create(new Device("default", "d1", T0, List.of()));
        devices.create(new Device("default", "d2", T0, List.of()));
        Credential a = credentials.create(password("d1", "alice", T0));
        Credential b = credentials.create(password("d1", "alice", T0));
        credentials.delete(a.id());
        assertThrows(StoreConflict.class, () -> credentials.create(password("d2", "alice", T0)), "b still holds it");
        credentials.revoke(b.id(), T0);
        assertThrows(StoreConflict.class, () -> credentials.create(password("d2", "alice", T0)),
                "revoked credentials still hold it: a revoked password must not become another device's");
        credentials.delete(b.id());
        assertEquals("d2", credentials.create(password("d2", "alice", T0)).deviceId());
    }

    @Test
    void credentialsWithoutUsernameAndDuplicateIds() {
        devices.create(new Device("default", "d", T0, List.of()));
        Credential cert = credentials.create(new Credential("11111111-1111-1111-1111-111111111111", "default", "d",
                Credential.CERTIFICATE, null, "sha256:ab", T0, null, null));
        assertNull(credentials.find(cert.id()).orElseThrow().username());
        assertThrows(StoreConflict.class, () -> credentials.create(cert));
        assertThrows(StoreConflict.class, () -> credentials.create(new Credential(cert.id(), "default", "d",
                Credential.PASSWORD, "carol", "h", T0, null, null)));
        assertEquals(List.of(), credentials.findByUsername("carol"), "the failed create claimed nothing");
    }

    @Test
    void concurrentClaimsOfAUsernameByTwoDevicesLetOneWin() throws Exception {
        devices.create(new Device("default", "d1", T0, List.of()));
        devices.create(new Device("default", "d2", T0, List.of()));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                String username = "race-" + i;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> attempts = new ArrayList<>();
                for (String device : List.of("d1", "d2")) {
                    Callable<Boolean> claim = () -> {
                        go.await();
                        try {
                            credentials.create(password(device, username, T0));
                            return true;
                        } catch (StoreConflict lost) {
                            return false;
                        }
                    };
                    attempts.add(pool.submit(claim));
                }
                go.countDown();
                int won = 0;
                for (Future<Boolean> f : attempts) {
                    won += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
                }
                assertEquals(1, won, username);
                assertEquals(1, credentials.findByUsername(username).size(), username);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- cascades

    @Test
    void deletingADeviceDeletesItsCredentialsAndGroupsAndRevokesItsCertificates() {
        devices.create(new Device("default", "d", T0, List.of("g")));
        devices.create(new Device("default", "other", T0, List.of()));
        Credential c = credentials.create(password("d", "alice", T0));
        certificates.create(certificate("0a", "default", "d", T0));
        certificates.create(certificate("0b", "default", "other", T0));

        assertTrue(devices.delete("default", "d"));
        assertEquals(Optional.empty(), credentials.find(c.id()));
        assertEquals(List.of(), credentials.findByUsername("alice"));
        assertNotNull(certificates.find("0a").orElseThrow().revokedAt(), "kept for the CRL, revoked");
        assertNull(certificates.find("0b").orElseThrow().revokedAt());
        assertEquals(List.of("0a"), certificates.listRevoked().stream().map(IssuedCertificate::serial).toList());

        Device again = devices.create(new Device("default", "d", T0, List.of()));
        assertEquals(List.of(), again.groups(), "the old device's groups went with it");
        assertEquals(List.of(), credentials.listForDevice("default", "d"));
        credentials.create(password("other", "alice", T0)); // the username is free
    }

    @Test
    void deletingAWorkspaceDeletesAllItHolds() {
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        devices.create(new Device("acme", "d", T0, List.of("g")));
        devices.create(new Device("default", "d", T0, List.of("g")));
        Credential c = credentials.create(
                new Credential(null, "acme", "d", Credential.PASSWORD, "alice", "h", T0, null, null));
        Credential kept = credentials.create(password("d", "bob", T0));
        acl.create(rule("acme", null, 0, "allow"));
        AclRule keptRule = acl.create(rule("default", null, 0, "allow"));
        certificates.create(certificate("ac", "acme", "d", T0));
        ApiKey key = apiKeys.create(new ApiKey(null, "acme", ApiKey.WORKSPACE_ADMIN, "acme admin", "aa", T0, null));
        ApiKey platformKey = apiKeys.create(new ApiKey(null, null, ApiKey.PLATFORM_ADMIN, "root", "bb", T0, null));

        assertTrue(workspaces.delete("acme"));

        assertEquals(List.of(), devices.list("acme"));
        assertEquals(Optional.empty(), credentials.find(c.id()));
        assertEquals(List.of(), acl.list("acme"));
        assertEquals(List.of(), certificates.listForWorkspace("acme"));
        assertEquals(Optional.empty(), apiKeys.findBySecretHash(key.secretHash()));
        // other workspaces and platform-wide keys untouched
        assertEquals(List.of("g"), devices.find("default", "d").orElseThrow().groups());
        assertEquals(Optional.of(kept), credentials.find(kept.id()));
        assertEquals(List.of(keptRule), acl.list("default"));
        assertEquals(Optional.of(platformKey), apiKeys.findBySecretHash("bb"));
        // the username is free again, for a device of another workspace too
        credentials.create(password("d", "alice", T0));
        // and the workspace can be made again, empty
        workspaces.create(new Workspace("acme", "Acme again", T0, null, false, null));
        assertEquals(List.of(), devices.list("acme"));
    }

    // ---- API keys

    @Test
    void apiKeys() {
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        assertEquals(0, apiKeys.count());
        ApiKey root = apiKeys.create(new ApiKey(null, null, ApiKey.PLATFORM_ADMIN, "root", "h1", T0, null));
        ApiKey admin = apiKeys.create(
                new ApiKey(null, "acme", ApiKey.WORKSPACE_ADMIN, "admin", "h2", T0.plusSeconds(1), null));
        ApiKey reader = apiKeys.create(
                new ApiKey(null, "acme", ApiKey.WORKSPACE_READ, "reader", "h3", T0.plusSeconds(2), null));
        assertEquals(3, apiKeys.count());

        assertEquals(Optional.of(admin), apiKeys.findBySecretHash("h2"));
        assertEquals(Optional.empty(), apiKeys.findBySecretHash("h4"));
        assertEquals(List.of(admin, reader), apiKeys.list("acme"));
        assertEquals(List.of(root), apiKeys.list(null));
        assertEquals(List.of(root, admin, reader), apiKeys.listAll());
        assertEquals(List.of(), apiKeys.list("default"));

        assertThrows(StoreConflict.class, () -> apiKeys.create(
                new ApiKey(null, null, ApiKey.PLATFORM_ADMIN, "copy", "h1", T0, null)), "same secret hash");
        assertThrows(StoreMissingReference.class, () -> apiKeys.create(
                new ApiKey(null, "nope", ApiKey.WORKSPACE_READ, "x", "h5", T0, null)));

        Instant at = us(T0.plusSeconds(100));
        ApiKey revoked = apiKeys.revoke(admin.id(), at).orElseThrow();
        assertEquals(at, revoked.revokedAt());
        assertFalse(revoked.validAt(at));
        assertEquals(Optional.of(revoked), apiKeys.findBySecretHash("h2"), "still found, to be told revoked");
        assertEquals(Optional.empty(), apiKeys.revoke("nope", at));
        assertEquals(3, apiKeys.count(), "revoked keys are counted");
    }

    // ---- ACL

    @Test
    void aclRulesComeInPositionOrder() {
        AclRule third = acl.create(rule("default", "c", 30, "deny"));
        AclRule first = acl.create(rule("default", "a", 10, "allow"));
        AclRule second = acl.create(rule("default", "b", 20, "allow"));
        AclRule tieLater = acl.create(new AclRule("z", "default", 10, "group", "ops", "all", "ops/#", "deny",
                T0.plusSeconds(1)));
        assertEquals(List.of(first, tieLater, second, third), acl.list("default"));
        assertThrows(StoreConflict.class, () -> acl.create(rule("default", "a", 40, "deny")));
        assertThrows(StoreMissingReference.class, () -> acl.create(rule("nope", null, 0, "deny")));

        assertTrue(acl.delete("default", "b"));
        assertFalse(acl.delete("default", "b"));
        assertFalse(acl.delete("other", "a"), "only the workspace's own");
        assertEquals(List.of(first, tieLater, third), acl.list("default"));
    }

    @Test
    void replaceAllReplacesEveryRuleOfTheWorkspaceOnly() {
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        acl.create(rule("default", "old1", 1, "allow"));
        acl.create(rule("default", "old2", 2, "allow"));
        AclRule acme = acl.create(rule("acme", "acme1", 1, "allow"));

        List<AclRule> stored = acl.replaceAll("default", List.of(rule("default", "new2", 2, "deny"),
                rule("default", "new1", 1, "allow"), rule("default", null, 3, "deny")));
        assertEquals(List.of("new1", "new2"), stored.subList(0, 2).stream().map(AclRule::id).toList());
        assertNotNull(stored.get(2).id());
        assertEquals(stored, acl.list("default"));
        assertEquals(List.of(acme), acl.list("acme"));

        assertEquals(List.of(), acl.replaceAll("default", List.of()));
        assertEquals(List.of(), acl.list("default"));
        assertThrows(IllegalArgumentException.class,
                () -> acl.replaceAll("default", List.of(rule("acme", "x", 1, "allow"))));
    }

    @Test
    void replaceAllIsAtomic() {
        List<AclRule> before = List.of(acl.create(rule("default", "old1", 1, "allow")),
                acl.create(rule("default", "old2", 2, "deny")));

        // the second rule repeats the first one's id: the insert fails after the delete and the first insert ran
        assertThrows(StoreConflict.class, () -> acl.replaceAll("default",
                List.of(rule("default", "dup", 1, "allow"), rule("default", "dup", 2, "deny"))));
        assertEquals(before, acl.list("default"));

        AclRule tooLong = new AclRule("long", "default", 2, "any", null, "publish", "t/".repeat(600), "allow", T0);
        assertThrows(IllegalArgumentException.class,
                () -> acl.replaceAll("default", List.of(rule("default", "fine", 1, "allow"), tooLong)));
        assertEquals(before, acl.list("default"));

        // an id another workspace uses
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        acl.create(rule("acme", "taken", 1, "allow"));
        assertThrows(StoreConflict.class,
                () -> acl.replaceAll("default", List.of(rule("default", "taken", 1, "allow"))));
        assertEquals(before, acl.list("default"));
    }

    // ---- certificates

    @Test
    void certificatesAndTheRevocationList() {
        workspaces.create(new Workspace("acme", "Acme", T0, null, false, null));
        IssuedCertificate a = certificates.create(certificate("0A1B", "default", "d", T0));
        IssuedCertificate b = certificates.create(certificate("0c", "default", "e", T0.plusSeconds(1)));
        IssuedCertificate c = certificates.create(certificate("0d", "acme", "d", T0.plusSeconds(2)));
        assertEquals("0a1b", a.serial(), "kept in lowercase");
        assertEquals(Optional.of(a), certificates.find("0A1B"));
        assertEquals(Optional.of(a), certificates.find("0a1b"));
        assertEquals(Optional.empty(), certificates.find("ff"));
        assertTrue(a.pem().startsWith("-----BEGIN CERTIFICATE-----"));
        assertEquals(List.of(a, b), certificates.listForWorkspace("default"));
        assertEquals(List.of(a), certificates.listForDevice("default", "d"));
        assertEquals(List.of(), certificates.listRevoked());

        assertThrows(StoreConflict.class, () -> certificates.create(certificate("0a1b", "acme", "x", T0)));
        assertThrows(StoreMissingReference.class, () -> certificates.create(certificate("ee", "nope", "x", T0)));

        IssuedCertificate revokedC = certificates.revoke("0D", T0.plusSeconds(10)).orElseThrow();
        IssuedCertificate revokedA = certificates.revoke("0a1b", T0.plusSeconds(20)).orElseThrow();
        assertEquals(us(T0.plusSeconds(10)), revokedC.revokedAt());
        assertFalse(revokedA.validAt(T0.plusSeconds(20)));
        assertTrue(revokedA.validAt(T0.plusSeconds(19)));
        assertEquals(List.of(revokedC, revokedA), certificates.listRevoked(), "all workspaces, by revocation time");
        assertEquals(Optional.empty(), certificates.revoke("ff", T0));
        assertNull(certificates.find("0c").orElseThrow().revokedAt());
        assertNotNull(c);
    }

    // ---- reopening

    @Test
    void reopeningKeepsEverythingAndDoesNotMigrateAgain() throws Exception {
        workspaces.create(new Workspace("acme", "Acme", T0, "anon/", false, new Quotas(1, 2, 3L, 4, 5, 6),
                new AnonymousRateQuota(7, 8L), true));
        Device d = devices.create(new Device("acme", "d", T0, List.of("g")));
        Credential c = credentials.create(
                new Credential(null, "acme", "d", Credential.TOKEN, "tok", "h", T0, null, null));
        List<Workspace> before = workspaces.list();
        StoreSettings settings = settingsOfOpenDatabase();
        db.close();
        db = Database.open(settings);
        tables();
        assertEquals(before, workspaces.list());
        assertEquals(Optional.of(d), devices.find("acme", "d"));
        assertEquals(List.of(c), credentials.findByUsername("tok"));
    }

    @Test
    void aStoreOfTheFirstSchemaGetsTheAnonymousClientsSettingsAtTheirDefaults() throws Exception {
        StoreSettings older = freshDatabase();
        Flyway.configure().dataSource(older.url(), older.user(), older.password())
                .locations("classpath:db/migration").target("1").load().migrate();
        try (Connection c = DriverManager.getConnection(older.url(), older.user(), older.password());
             PreparedStatement ps = c.prepareStatement("INSERT INTO workspace (id, name, created_at,"
                     + " anonymous_topic_prefix, log_public_read) VALUES ('verifier', 'V', CURRENT_TIMESTAMP,"
                     + " 'presentations/', FALSE)")) {
            ps.executeUpdate();
        }
        try (Database migrated = Database.open(older)) {
            Workspace w = new WorkspaceTable(migrated).find("verifier").orElseThrow();
            assertEquals("presentations/", w.anonymousTopicPrefix());
            assertEquals(AnonymousRateQuota.DEFAULTS, w.anonymousRateQuota(), "the platform's default rates");
            assertFalse(w.logAnonymousTopics(), "its anonymous topics still not logged");
        }
    }

    /** The settings the current test's database was opened with. */
    abstract StoreSettings settingsOfOpenDatabase();

    // ---- rows used above

    /** {@code t} as the databases keep it, to microseconds. */
    static Instant us(Instant t) {
        return t.truncatedTo(ChronoUnit.MICROS);
    }

    static Credential password(String deviceId, String username, Instant createdAt) {
        return new Credential(null, "default", deviceId, Credential.PASSWORD, username, "$argon2id$" + username,
                createdAt, null, null);
    }

    static AclRule rule(String workspaceId, String id, int position, String permission) {
        return new AclRule(id, workspaceId, position, "device", "sensor-" + position, "publish",
                "sensors/" + position + "/#", permission, T0);
    }

    static IssuedCertificate certificate(String serial, String workspaceId, String deviceId, Instant issuedAt) {
        return new IssuedCertificate(serial, workspaceId, deviceId, "CN=" + deviceId + ",O=" + workspaceId,
                issuedAt.minusSeconds(60), issuedAt.plus(Duration.ofDays(365)),
                "-----BEGIN CERTIFICATE-----\n" + "MIIB".repeat(200).chars().mapToObj(ch -> String.valueOf((char) ch))
                        .collect(Collectors.joining()) + "\n-----END CERTIFICATE-----\n", issuedAt, null);
    }
}
