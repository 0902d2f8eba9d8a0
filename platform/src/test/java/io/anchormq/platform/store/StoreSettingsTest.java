package io.anchormq.platform.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The {@code anchormq.store} settings as reference.conf and overrides give them. */
class StoreSettingsTest {

    @Test
    void emptyUrlIsTheEmbeddedDatabaseInTheDataDirectory() {
        StoreSettings s = StoreSettings.from(ConfigFactory.load(), Path.of("/var/lib/anchormq"));
        assertEquals("jdbc:h2:file:/var/lib/anchormq/platform;WRITE_DELAY=0", s.url());
        assertEquals("", s.user());
        assertEquals(8, s.maxPoolSize());
    }

    @Test
    void relativeDataDirectoriesBecomeAbsolute() {
        StoreSettings s = StoreSettings.from(ConfigFactory.load(), Path.of("data"));
        assertEquals("jdbc:h2:file:" + Path.of("data").toAbsolutePath() + "/platform;WRITE_DELAY=0", s.url());
    }

    @Test
    void aConfiguredUrlIsTakenAsItIs() {
        Config c = ConfigFactory.parseString("""
                anchormq.store { url = "jdbc:postgresql://db:5432/anchormq", user = u, password = secret,
                                 max-pool-size = 3 }
                """).withFallback(ConfigFactory.load());
        StoreSettings s = StoreSettings.from(c, Path.of("data"));
        assertEquals(new StoreSettings("jdbc:postgresql://db:5432/anchormq", "u", "secret", 3), s);
        assertFalse(s.toString().contains("secret"), s.toString());
    }

    @Test
    void otherDatabasesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> Database.open(new StoreSettings("jdbc:mysql://db/anchormq", "", "", 1)));
        assertThrows(IllegalArgumentException.class, () -> new StoreSettings("jdbc:h2:mem:x", "", "", 0));
    }
}
