package io.anchormq.platform.store;

import com.typesafe.config.Config;
import java.nio.file.Path;

/**
 * The {@code anchormq.store} section of the configuration (defaults documented in platform's reference.conf): where
 * workspaces, devices, credentials, API keys, ACL rules and issued certificates are kept.
 *
 * @param url JDBC URL, {@code jdbc:h2:...} or {@code jdbc:postgresql://...}
 * @param maxPoolSize connections kept open at most
 */
public record StoreSettings(String url, String user, String password, int maxPoolSize) {

    public StoreSettings {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("anchormq.store.url: a JDBC URL is required");
        }
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("anchormq.store.max-pool-size must be at least 1: " + maxPoolSize);
        }
        user = user == null ? "" : user;
        password = password == null ? "" : password;
    }

    /** An empty {@code url} means the embedded H2 database {@code <dataDir>/platform}. */
    public static StoreSettings from(Config root, Path dataDir) {
        Config s = root.getConfig("anchormq.store");
        String url = s.getString("url").trim();
        if (url.isEmpty()) {
            url = embeddedH2Url(dataDir);
        }
        return new StoreSettings(url, s.getString("user"), s.getString("password"), s.getInt("max-pool-size"));
    }

    /**
     * The embedded database's URL. WRITE_DELAY=0: H2 otherwise writes committed transactions to the file up to
     * half a second later, and a kill -9 in that window lost rows whose commit had returned.
     */
    public static String embeddedH2Url(Path dataDir) {
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("platform") + ";WRITE_DELAY=0";
    }

    /** Without the password: settings get logged. */
    @Override
    public String toString() {
        return "StoreSettings[url=" + url + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                + ", maxPoolSize=" + maxPoolSize + "]";
    }
}
