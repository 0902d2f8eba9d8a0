package io.anchormq.platform.identity;

import io.anchormq.broker.auth.Authentication;
import io.anchormq.broker.auth.Authenticator;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.auth.ConnectAttempt;
import io.anchormq.platform.store.CertificateTable;
import io.anchormq.platform.store.Credential;
import io.anchormq.platform.store.CredentialTable;
import io.anchormq.platform.store.DeviceTable;
import io.anchormq.platform.store.IssuedCertificate;
import io.anchormq.platform.store.Workspace;
import io.anchormq.platform.store.WorkspaceTable;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates devices against the identity store: a client certificate (on listeners that require one), an
 * access token as the password ({@link DeviceTokens}: any password of three base64url parts separated by dots is
 * taken for one, whatever the user name, which may be left out; the platform's own, or one of an
 * {@link ExternalIssuers external issuer} whose device exists in the store), a user name and password (Argon2id),
 * or nothing (anonymous, into the default workspace, where the listener allows it). A client that gives a
 * workspace's id as its user name and no password is an anonymous client of that workspace if it admits them (it
 * has an anonymous topic prefix), confined to exact topics below the prefix, on any listener: the workspace opted
 * in, and the confinement is what makes that safe.
 *
 * <p>The store and the hash are slow for an event loop, so they run on a small pool of their own; when its queue is
 * full, clients are refused with 0x89 (server busy) rather than queued without bound. A password verified once is
 * remembered per credential as an HMAC under a key that lives only in this process, so that reconnects (a fleet
 * coming back after an outage) do not pay Argon2id again; a revoked or expired credential is never consulted, since
 * every attempt reads the credential's current row.
 *
 * <p>Failures are refused with 0x86 (bad user name or password) or 0x87 (not authorized), naming the workspace whose
 * credential the client failed to prove where that is known (a user name's, a token's, a certificate's), so that the
 * workspace's metrics count it; repeated failures from one address are answered later and later
 * ({@link FailurePenalty}), and say so. An external issuer's keys that cannot be fetched are 0x88 (server unavailable),
 * not counted as a failure. A key fetch runs on this pool too, bounded by the issuer's fetch timeout, never on an
 * event loop.
 */
public final class DeviceAuthenticator implements Authenticator, AutoCloseable {

    private final WorkspaceTable workspaces;
    private final CredentialTable credentials;
    private final CertificateTable certificates;
    private final DeviceTable devices;
    private final CertificateNames certificateNames;
    private final DeviceTokens tokens;
    private final ExternalIssuers externalIssuers;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timer;
    private final FailurePenalty penalty;
    private final SecretKeySpec cacheKey;
    /** Per credential id, the HMAC of the password last verified with it. */
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    public final LongAdder argon2Verifications = new LongAdder();

    /** A password verified once with a credential of {@code workspace}. */
    private record Verified(String workspace, byte[] mac) {
    }

    /**
     * @param externalIssuers closed with this
     * @param threads threads that read the store and hash passwords
     * @param maxPending attempts waiting for them at most; more are refused as server busy
     */
    public DeviceAuthenticator(WorkspaceTable workspaces, DeviceTable devices, CredentialTable credentials,
                               CertificateTable certificates, CertificateNames certificateNames, DeviceTokens tokens,
                               ExternalIssuers externalIssuers, int threads, int maxPending, Duration penaltyBase,
                               Duration penaltyMax) {
        this.workspaces = workspaces;
        this.devices = devices;
        this.certificateNames = certificateNames;
        this.credentials = credentials;
        this.certificates = certificates;
        this.tokens = tokens;
        this.externalIssuers = externalIssuers;
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxPending),
                r -> {
                    Thread t = new Thread(r, "anchormq-auth");
                    t.setDaemon(true);
                    return t;
                });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "anchormq-auth-penalty");
            t.setDaemon(true);
            return t;
        });
        this.penalty = new FailurePenalty(penaltyBase, penaltyMax, Duration.ofMinutes(5), 10_000);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.cacheKey = new SecretKeySpec(key, "HmacSHA256");
    }

    @Override
    public CompletionStage<Authentication> authenticate(ConnectAttempt attempt) {
        boolean byCertificate = attempt.listener().clientCertificateRequired() && attempt.clientCertificate() != null;
        if (!byCertificate && attempt.username() == null && attempt.password() == null) {
            return CompletableFuture.completedStage(attempt.listener().anonymousAllowed()
                    ? Authentication.admit(ClientIdentity.anonymous(ClientIdentity.DEFAULT_WORKSPACE, null))
                    : Authentication.refuse(Authentication.NOT_AUTHORIZED,
                    "this listener requires credentials"));
        }
        CompletableFuture<Authentication> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                if (result.isDone()) {
                    return; // the connection went away while it waited (cancelled): no hash for nobody
                }
                Authentication a;
                try {
                    a = byCertificate ? byCertificate(attempt)
                            : isToken(attempt.password()) ? byToken(attempt) : byPassword(attempt);
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                    return;
                }
                answer(attempt, a, result);
            });
        } catch (RejectedExecutionException e) {
            result.complete(Authentication.refuse(Authentication.SERVER_BUSY, "too many connections authenticating"));
        }
        return result;
    }

    /**
     * Failures are answered after the address's penalty; successes at once, and so are refusals for a server-side
     * cause (a token issuer's keys that cannot be fetched): those say nothing about the client's credentials.
     */
    private void answer(ConnectAttempt attempt, Authentication a, CompletableFuture<Authentication> result) {
        if (a instanceof Authentication.Admitted) {
            penalty.succeeded(attempt.remoteHost());
            result.complete(a);
            return;
        }
        if (a instanceof Authentication.Refused r && r.reasonCode() == Authentication.SERVER_UNAVAILABLE) {
            result.complete(a);
            return;
        }
        long delay = penalty.failed(attempt.remoteHost(), System.nanoTime());
        if (delay == 0) {
            result.complete(a);
        } else {
            Authentication late = a instanceof Authentication.Refused r ? r.late() : a;
            timer.schedule(() -> result.complete(late), delay, TimeUnit.MILLISECONDS);
        }
    }

    private Authentication byPassword(ConnectAttempt attempt) {
        String username = attempt.username();
        if (attempt.password() == null && username != null) {
            // a user name that is a workspace admitting anonymous clients, and no password: a confined client there
            Optional<Workspace> w = workspaces.find(username);
            if (w.isPresent() && w.get().anonymousTopicPrefix() != null) {
                return Authentication.admit(ClientIdentity.confined(w.get().id(), username,
                        w.get().anonymousTopicPrefix()));
            }
        }
        List<Credential> rows = username == null ? List.of() : credentials.findByUsername(username);
        if (rows.isEmpty()) {
            // an unknown user name on a listener that admits anonymous clients is an anonymous client (as in
            // Mosquitto with allow_anonymous and no password file); elsewhere a bad user name
            return attempt.listener().anonymousAllowed() && username != null
                    ? Authentication.admit(ClientIdentity.anonymous(ClientIdentity.DEFAULT_WORKSPACE, username))
                    : Authentication.refuse(Authentication.BAD_USER_NAME_OR_PASSWORD, "bad user name or password");
        }
        // a user name belongs to one device platform-wide: its failures are its workspace's
        String workspace = rows.get(0).workspaceId();
        byte[] password = attempt.password();
        if (password == null) {
            return Authentication.refuse(Authentication.BAD_USER_NAME_OR_PASSWORD, "password required", workspace);
        }
        Instant now = Instant.now();
        byte[] mac = mac(password);
        for (Credential c : rows) {
            if (!"password".equals(c.kind()) || !c.validAt(now)) {
                continue;
            }
            Verified known = verified.get(c.id());
            boolean ok;
            if (known != null && MessageDigest.isEqual(known.mac(), mac)) {
                ok = true;
            } else {
                argon2Verifications.increment();
                ok = PasswordHash.matches(password, c.secretHash());
                if (ok) {
                    verified.put(c.id(), new Verified(c.workspaceId(), mac));
                }
            }
            if (ok) {
                return Authentication.admit(new ClientIdentity(c.workspaceId(), c.deviceId(), username, c.id()));
            }
        }
        return Authentication.refuse(Authentication.BAD_USER_NAME_OR_PASSWORD, "bad user name or password", workspace);
    }

    private static boolean isToken(byte[] password) {
        return password != null && DeviceTokens.isTokenShaped(new String(password, StandardCharsets.ISO_8859_1));
    }

    /**
     * A token the platform signed, whose credential row still exists (the device was not deleted) and is not
     * revoked: its device, in its workspace. Its expiry is the token's own {@code exp}, checked with the clock skew.
     */
    private Authentication byToken(ConnectAttempt attempt) {
        String token = new String(attempt.password(), StandardCharsets.US_ASCII);
        Optional<ExternalIssuer> external = externalIssuers.of(token);
        if (external.isPresent()) {
            return byExternalToken(attempt, external.get(), token);
        }
        Optional<DeviceTokens.Bearer> bearer = tokens.verify(token);
        if (bearer.isEmpty()) {
            return Authentication.refuse(Authentication.BAD_USER_NAME_OR_PASSWORD, "token not valid");
        }
        DeviceTokens.Bearer b = bearer.get();
        Optional<Credential> row = credentials.find(b.id());
        if (row.isEmpty() || !Credential.TOKEN.equals(row.get().kind()) || row.get().revokedAt() != null
                || !row.get().workspaceId().equals(b.workspace()) || !row.get().deviceId().equals(b.device())) {
            // signed by the platform: its claims are ours, the workspace among them
            return Authentication.refuse(Authentication.BAD_USER_NAME_OR_PASSWORD, "token revoked or unknown",
                    b.workspace());
        }
        return Authentication.admit(new ClientIdentity(b.workspace(), b.device(), attempt.username(), b.id()));
    }

    /**
     * A token of an external issuer, valid by its keys and claims, naming a device that exists in the workspace the
     * issuer is for (so that its ACLs and groups apply, and deleting it locks the token out). When the issuer's keys
     * cannot be had (its JWK set cannot be fetched and none is cached), 0x88 server unavailable (3.1.1: 0x03): the
     * token may well be good, and a device told 0x86 / 0x04 would take its credentials for bad and may stop trying,
     * while "unavailable" makes it retry later, when the identity provider is back.
     */
    private Authentication byExternalToken(ConnectAttempt attempt, ExternalIssuer issuer, String token) {
        ExternalIssuer.Verdict verdict = issuer.verify(token);
        if (verdict instanceof ExternalIssuer.Unavailable) {
            return Authentication.refuse(Authentication.SERVER_UNAVAILABLE, "the token's issuer cannot be reached");
        }
        if (!(verdict instanceof ExternalIssuer.Valid v)) {
            return Authentication.refuse(Authentication.BAD_USER_NAME_OR_PASSWORD, "token not valid");
        }
        if (devices.find(v.workspace(), v.device()).isEmpty()) {
            return Authentication.refuse(Authentication.BAD_USER_NAME_OR_PASSWORD, "the token names no device");
        }
        return Authentication.admit(new ClientIdentity(v.workspace(), v.device(), attempt.username(), v.credential()));
    }

    /** A certificate the platform CA issued, not revoked: its device, in its workspace. */
    private Authentication byCertificate(ConnectAttempt attempt) {
        String serial = attempt.clientCertificate().getSerialNumber().toString(16);
        Optional<IssuedCertificate> issued = certificates.find(serial);
        Instant now = Instant.now();
        if (issued.isEmpty()) {
            return byCertificateName(attempt);
        }
        if (issued.get().revokedAt() != null || now.isAfter(issued.get().notAfter())) {
            return Authentication.refuse(Authentication.NOT_AUTHORIZED, "certificate revoked or expired",
                    issued.get().workspaceId());
        }
        IssuedCertificate c = issued.get();
        return Authentication.admit(new ClientIdentity(c.workspaceId(), c.deviceId(), attempt.username(),
                certificateCredential(c.serial())));
    }

    /**
     * A certificate the platform did not issue (an operator's CA signed it; the handshake checked the chain, expiry
     * and the revoked set): its CN, or the configured kind of subject alternative name, names a device of the
     * configured workspace, which must exist.
     */
    private Authentication byCertificateName(ConnectAttempt attempt) {
        String device = certificateNames.deviceOf(attempt.clientCertificate());
        if (device == null || devices.find(certificateNames.workspace(), device).isEmpty()) {
            return Authentication.refuse(Authentication.NOT_AUTHORIZED, "the certificate names no device",
                    certificateNames.workspace());
        }
        return Authentication.admit(new ClientIdentity(certificateNames.workspace(), device, attempt.username(),
                certificateCredential(attempt.clientCertificate().getSerialNumber().toString(16))));
    }

    /** The credential id a client authenticated by a certificate carries: revoking the certificate names it. */
    public static String certificateCredential(String serial) {
        return "certificate:" + serial.toLowerCase(java.util.Locale.ROOT);
    }

    /** Forgets what was verified with a credential (it was revoked or deleted). */
    public void forget(String credentialId) {
        verified.remove(credentialId);
    }

    /** Forgets what was verified with the credentials of a workspace (it was deleted, and they with it). */
    public void forgetWorkspace(String workspace) {
        verified.values().removeIf(v -> v.workspace().equals(workspace));
    }

    /** Authentication failures counted, and how many of them were answered late. */
    public long failures() {
        return penalty.failures.sum();
    }

    public long delayedFailures() {
        return penalty.delayed.sum();
    }

    private byte[] mac(byte[] password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(cacheKey);
            return mac.doFinal(password);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        timer.shutdownNow();
        externalIssuers.close();
    }
}
