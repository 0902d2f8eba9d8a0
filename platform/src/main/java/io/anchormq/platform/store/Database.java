package io.anchormq.platform.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * The store's connection pool, its schema brought up to date on open. Open it once per process and share it: an
 * embedded H2 file database can be open in one process only.
 */
public final class Database implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final String kind;

    private Database(HikariDataSource dataSource, String kind) {
        this.dataSource = dataSource;
        this.kind = kind;
    }

    /** Connects, and runs the migrations of {@code classpath:db/migration} that have not run yet. */
    public static Database open(StoreSettings settings) {
        String kind = kindOf(settings.url());
        HikariConfig config = new HikariConfig();
        config.setPoolName("anchormq-store");
        config.setJdbcUrl(settings.url());
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        config.setMaximumPoolSize(settings.maxPoolSize());
        config.setMinimumIdle(Math.min(2, settings.maxPoolSize()));
        // explicit: the pool would load whichever driver claims the URL, but both are ours, so fail loudly instead
        config.setDriverClassName(kind.equals("h2") ? "org.h2.Driver" : "org.postgresql.Driver");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to the store " + settings.url() + ": " + e.getMessage(), e);
        }
        try {
            Flyway.configure()
                    .dataSource(pool)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw e instanceof FlywayException
                    ? new StoreException("cannot migrate the store " + settings.url() + ": " + e.getMessage(), e)
                    : e;
        }
        return new Database(pool, kind);
    }

    private static String kindOf(String url) {
        if (url.startsWith("jdbc:h2:")) {
            return "h2";
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return "postgresql";
        }
        throw new IllegalArgumentException("anchormq.store.url: only jdbc:h2: and jdbc:postgresql: are supported, not "
                + url);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** "h2" or "postgresql". */
    public String kind() {
        return kind;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
