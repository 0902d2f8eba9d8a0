package io.anchormq.platform;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.broker.Broker;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.WorkspaceQuotas;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.broker.session.SessionStore;
import io.anchormq.broker.store.BrokerStore;
import io.anchormq.broker.auth.ClientIdentity;
import java.util.function.Function;
import io.anchormq.platform.acl.WorkspaceAcls;
import io.anchormq.platform.anchoring.AnchoringService;
import io.anchormq.platform.anchoring.AnchoringSettings;
import io.anchormq.platform.anchoring.IntegrityLogs;
import io.anchormq.platform.http.AdminEffects;
import io.anchormq.platform.http.HttpServer;
import io.anchormq.platform.identity.ApiKeys;
import io.anchormq.platform.identity.CertificateNames;
import io.anchormq.platform.identity.DeviceAuthenticator;
import io.anchormq.platform.identity.DeviceTokens;
import io.anchormq.platform.identity.ExternalIssuers;
import io.anchormq.platform.listeners.MqttListeners;
import io.anchormq.platform.pki.PlatformCa;
import io.anchormq.platform.store.AnonymousRateQuota;
import io.anchormq.platform.store.Database;
import io.anchormq.platform.store.StoreSettings;
import io.anchormq.platform.store.Tables;
import io.anchormq.platform.store.Quotas;
import io.anchormq.platform.store.Workspace;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable anchormq platform: configuration, the identity store, the actor system, the workspaces' integrity
 * logs, the broker, the platform CA, the MQTT listeners and the HTTP API.
 */
public final class AnchormqServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AnchormqServer.class);

    private final ActorSystem<Void> system;
    private final Database database;
    private final Tables tables;
    private final DeviceAuthenticator authenticator;
    private final IntegrityLogs logs;
    private final Broker broker;
    private final PlatformCa pki;
    private final MqttListeners mqtt;
    private final HttpServer http;
    private final Path adminKeyFile;
    /** Null when the broker's state is in memory. */
    private final BrokerStore state;

    private AnchormqServer(ActorSystem<Void> system, Database database, Tables tables,
                           DeviceAuthenticator authenticator, IntegrityLogs logs, Broker broker, PlatformCa pki,
                           MqttListeners mqtt, HttpServer http, Path adminKeyFile, BrokerStore state) {
        this.state = state;
        this.system = system;
        this.database = database;
        this.tables = tables;
        this.authenticator = authenticator;
        this.logs = logs;
        this.broker = broker;
        this.pki = pki;
        this.mqtt = mqtt;
        this.http = http;
        this.adminKeyFile = adminKeyFile;
    }

    /**
     * Starts everything, the broker's state where {@code anchormq.state} says; {@code config} is the full
     * configuration (defaults included).
     */
    public static AnchormqServer start(Config config) {
        return startWith(config, null, null);
    }

    /**
     * Starts everything with the given stores for the default workspace (the others in memory); sessions found in
     * the session store are restored.
     */
    public static AnchormqServer start(Config config, SessionStore sessionStore, RetainedStore retainedStore) {
        return startWith(config, w -> ClientIdentity.DEFAULT_WORKSPACE.equals(w) ? sessionStore : new InMemorySessionStore(),
                w -> ClientIdentity.DEFAULT_WORKSPACE.equals(w) ? retainedStore : new InMemoryRetainedStore());
    }

    /** @param sessions null: each workspace's stores from the configuration */
    private static AnchormqServer startWith(Config config, Function<String, SessionStore> sessions,
                                        Function<String, RetainedStore> retained) {
        Path dataDir = Path.of(config.getString("anchormq.data-dir"));
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir.toAbsolutePath(), e);
        }
        // before anything starts: a CA that cannot be read or made is a configuration error
        PlatformCa pki = PlatformCa.open(config);
        DeviceTokens tokens = DeviceTokens.open(config);
        BrokerSettings settings = BrokerSettings.from(config);
        AnchoringSettings anchoringSettings = AnchoringSettings.from(config);
        // what was started, closed in reverse if a later part fails
        List<AutoCloseable> started = new ArrayList<>();
        ExternalIssuers externalIssuers = ExternalIssuers.open(config);
        started.add(externalIssuers);
        try {
            Database database = Database.open(StoreSettings.from(config, dataDir));
            started.add(database);
            Tables tables = Tables.of(database);
            DeviceAuthenticator authenticator = new DeviceAuthenticator(tables.workspaces(), tables.devices(),
                    tables.credentials(), tables.certificates(), CertificateNames.from(config), tokens,
                    externalIssuers, config.getInt("anchormq.auth.threads"), config.getInt("anchormq.auth.max-pending"),
                    config.getDuration("anchormq.auth.failure-delay"),
                    config.getDuration("anchormq.auth.max-failure-delay"));
            started.remove(externalIssuers); // the authenticator owns them now, and closes them
            started.add(authenticator);
            // the sessions run on the listener's event loops: made before the actor system, stopped after it
            EventLoopGroup eventLoops = MqttListeners.eventLoops(config.getInt("anchormq.mqtt.io-threads"),
                    config.getBoolean("anchormq.mqtt.native-transport"));
            AutoCloseable loops = () -> eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            started.add(loops);
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "anchormq", config);
            started.add(() -> terminate(system));
            IntegrityLogs logs = null;
            if (anchoringSettings.enabled()) {
                try {
                    logs = IntegrityLogs.start(system, anchoringSettings);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot start chain anchoring: " + e.getMessage(), e);
                }
                started.add(logs);
            }
            List<String> workspaces = tables.workspaces().list().stream().map(Workspace::id).toList();
            CompletableFuture<Void> logsOpening = openInBackground(logs, workspaces);
            started.add(() -> logsOpening.join()); // before the logs close: the thread may still be opening one
            WorkspaceAcls acls = new WorkspaceAcls(tables.acls(), tables.devices());
            BrokerStore state = null;
            if (sessions == null) {
                state = BrokerState.open(config, dataDir);
                if (state != null) {
                    started.add(state);
                }
                sessions = PlatformWorkspaces.sessionsIn(state);
                retained = PlatformWorkspaces.retainedIn(state);
            }
            PlatformWorkspaces resources = new PlatformWorkspaces(logs, Broker.accessPolicyOf(settings), acls,
                    sessions, retained);
            Broker broker = new Broker(system, settings, authenticator, resources, eventLoops);
            LiveEffects effects = new LiveEffects(broker, tables, resources, logs, acls, authenticator,
                    config.getLong("anchormq.workspaces.anonymous-rate-quota.messages-per-second"),
                    config.getBytes("anchormq.workspaces.anonymous-rate-quota.bytes-per-second"), state);
            for (String w : workspaces) {
                effects.open(w);
            }
            for (var revoked : tables.certificates().listRevoked()) {
                pki.revoke(new java.math.BigInteger(revoked.serial(), 16), revoked.revokedAt());
            }
            awaitRestoredSessions(broker);
            MqttListeners mqtt = MqttListeners.bind(broker, eventLoops, config, pki);
            started.remove(loops); // the listeners own them now, and shut them down when closed
            started.add(mqtt);
            ApiKeys keys = new ApiKeys(tables.apiKeys());
            Path adminKeyFile = dataDir.resolve("admin-api-key");
            keys.bootstrap(adminKeyFile).ifPresent(f -> log.info("first start: a platform admin API key is in {}"
                    + " (readable by this user only); use it as 'Authorization: Bearer <key>'", f.toAbsolutePath()));
            IntegrityLogs openLogs = logs;
            HttpServer http = HttpServer.bind(system, config.getString("anchormq.http.host"),
                    config.getInt("anchormq.http.port"), tables, keys, pki, tokens,
                    effects,
                    workspace -> openLogs == null ? java.util.Optional.empty() : openLogs.find(workspace));
            mqtt.descriptions().forEach(log::info);
            externalIssuers.descriptions().forEach(log::info);
            log.info("anchormq HTTP API on {}:{} (data directory {}, store {}, CA certificate {})",
                    config.getString("anchormq.http.host"), http.port(), dataDir.toAbsolutePath(), database.kind(),
                    pki.caCertificateFile().toAbsolutePath());
            log.info("broker state: {}", state == null ? "in memory" : state.directory().toAbsolutePath()
                    + " (" + config.getString("anchormq.state.fsync") + " fsync)");
            return new AnchormqServer(system, database, tables, authenticator, logs, broker, pki, mqtt, http,
                    adminKeyFile, state);
        } catch (IOException e) {
            closeAll(started);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    private static void closeAll(List<AutoCloseable> started) {
        Collections.reverse(started);
        for (AutoCloseable c : started) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("while stopping after a failed start: {}", e.toString());
            }
        }
    }

    /**
     * What admin API changes do to the running broker.
     *
     * @param anonymousMessagesPerSecond what a confined anonymous client may publish in a workspace that does not
     *     say (and {@code anonymousBytesPerSecond})
     */
    private record LiveEffects(Broker broker, Tables tables, PlatformWorkspaces resources, IntegrityLogs logs,
                               WorkspaceAcls acls, DeviceAuthenticator authenticator, long anonymousMessagesPerSecond,
                               long anonymousBytesPerSecond, BrokerStore state) implements AdminEffects {

        /**
         * A workspace made through the API starts empty: anything the broker state still holds under its id (of a
         * workspace deleted before, written by its sessions as they stopped) goes first.
         */
        @Override
        public void workspaceCreated(String workspace) {
            if (state != null) {
                state.deleteWorkspace(workspace);
            }
            open(workspace);
        }

        /** Opens a workspace of the store: its log, its broker with the state stored for it, its settings. */
        void open(String workspace) {
            if (logs != null) {
                logs.open(workspace);
            }
            broker.workspace(workspace);
            workspaceChanged(workspace);
        }

        @Override
        public void workspaceChanged(String workspace) {
            tables.workspaces().find(workspace).ifPresent(w -> {
                resources.anonymousTopicsChanged(w.id(), w.anonymousTopicPrefix(), w.logAnonymousTopics());
                Quotas q = w.quotas();
                WorkspaceQuotas quotas = broker.workspace(w.id()).quotas();
                quotas.set(orZero(q.maxConnections()), orZero(q.maxSubscriptionsPerClient()),
                        orZero(q.maxRetainedMessages()), orZero(q.maxQueuedMessages()),
                        orZero(q.maxMessagesPerSecond()), q.maxBytesPerSecond() == null ? 0 : q.maxBytesPerSecond());
                AnonymousRateQuota a = w.anonymousRateQuota();
                quotas.setAnonymousRates(
                        a.messagesPerSecond() == null ? anonymousMessagesPerSecond : a.messagesPerSecond(),
                        a.bytesPerSecond() == null ? anonymousBytesPerSecond : a.bytesPerSecond());
            });
        }

        private static int orZero(Integer n) {
            return n == null ? 0 : n;
        }

        @Override
        public void workspaceDeleted(String workspace) {
            broker.closeWorkspace(workspace);
            if (state != null) {
                state.deleteWorkspace(workspace); // its sessions, queued messages and retained messages
            }
            acls.forget(workspace);
            resources.forget(workspace);
            authenticator.forgetWorkspace(workspace);
            if (logs != null) {
                logs.close(workspace);
            }
        }

        @Override
        public void accessRulesChanged(String workspace) {
            acls.reload(workspace);
            broker.workspace(workspace).accessRulesChanged();
        }

        @Override
        public void deviceDeleted(String workspace, String device) {
            broker.disconnect(id -> workspace.equals(id.workspace()) && device.equals(id.device()),
                    MqttReasonCodes.Disconnect.NOT_AUTHORIZED, "device deleted");
        }

        @Override
        public void credentialRevoked(String credentialId) {
            authenticator.forget(credentialId);
            broker.disconnect(id -> credentialId.equals(id.credential()), MqttReasonCodes.Disconnect.NOT_AUTHORIZED,
                    "credential revoked");
        }
    }

    /**
     * Opens the workspaces' integrity logs (recovering them after a crash) on a thread of its own while the broker
     * reads its state back, so that on more than one core the two overlap. A workspace's broker that needs its log
     * before this thread has it waits for it ({@link IntegrityLogs#open} computes each log once). Only a head start:
     * a log this thread cannot open is opened again where it is needed, and that reports the error.
     */
    private static CompletableFuture<Void> openInBackground(IntegrityLogs logs, List<String> workspaces) {
        CompletableFuture<Void> opened = new CompletableFuture<>();
        if (logs == null || workspaces.isEmpty()) {
            opened.complete(null);
            return opened;
        }
        Thread t = new Thread(() -> {
            try {
                workspaces.forEach(logs::open);
            } catch (RuntimeException e) {
                log.debug("opening an integrity log ahead of the broker failed: {}", e.toString());
            } finally {
                opened.complete(null);
            }
        }, "anchormq-log-open");
        t.setDaemon(true);
        t.start();
        return opened;
    }

    /**
     * Waits until the sessions read back from the broker state have their subscriptions in the routers: the
     * listeners open only then, so no publish misses a restored subscriber that was not back yet. Says how far it
     * got every 5 s, and opens the listeners anyway (saying so) when 30 s pass without one more session back.
     */
    private static void awaitRestoredSessions(Broker broker) {
        int stored = broker.restoring();
        if (stored == 0) {
            return;
        }
        log.info("restoring {} stored sessions before the listeners open", stored);
        int pending = stored;
        long start = System.nanoTime();
        long lastProgress = start;
        CompletableFuture<Void> done = broker.restored().toCompletableFuture();
        while (true) {
            try {
                done.get(5, TimeUnit.SECONDS);
                log.info("{} stored sessions restored in {} ms", stored,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                return;
            } catch (TimeoutException e) {
                int now = broker.restoring();
                if (now < pending) {
                    pending = now;
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(30)) {
                    log.warn("{} stored sessions are still not restored and none came back in 30 s: opening the"
                            + " listeners anyway; publishes do not reach those sessions until they are back", now);
                    return;
                }
                log.info("restoring stored sessions: {} to go", now);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while restoring the stored sessions", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("restoring the stored sessions failed", e.getCause());
            }
        }
    }

    /** The plain MQTT listener's port. */
    public int mqttPort() {
        return mqtt.port("mqtt");
    }

    /** The port of the MQTT listener {@code name}: "mqtt", "mqtts", "ws" or "wss" (it must be enabled). */
    public int listenerPort(String name) {
        return mqtt.port(name);
    }

    /** The platform CA: device certificates from CSRs, revocation, the CRL, the CA certificate. */
    public PlatformCa pki() {
        return pki;
    }

    public Broker broker() {
        return broker;
    }

    public int httpPort() {
        return http.port();
    }

    /** The identity store's tables. */
    public Tables tables() {
        return tables;
    }

    /** Where the first start wrote the platform admin API key. */
    public Path adminKeyFile() {
        return adminKeyFile;
    }

    /** The default workspace's integrity log, or null when the log is switched off. */
    public AnchoringService anchoring() {
        return logs == null ? null : logs.find(ClientIdentity.DEFAULT_WORKSPACE).orElse(null);
    }

    /** The workspaces' integrity logs, or null when the log is switched off. */
    public IntegrityLogs logs() {
        return logs;
    }

    @Override
    public void close() {
        mqtt.stopAccepting();
        broker.shutdown();
        http.close();
        if (logs != null) {
            logs.close();
        }
        // the sessions run on the listener's event loops: the loops go last
        terminate(system);
        mqtt.close();
        if (state != null) {
            state.close();
        }
        authenticator.close();
        database.close();
    }

    private static void terminate(ActorSystem<?> system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("actor system did not terminate in time", e);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        AnchormqServer server;
        try {
            server = start(ConfigFactory.load());
        } catch (RuntimeException e) {
            log.error("anchormq did not start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "anchormq-shutdown"));
        Thread.currentThread().join();
    }
}
