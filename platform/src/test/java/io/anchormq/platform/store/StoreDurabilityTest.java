package io.anchormq.platform.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.testsupport.ChildJvm;
import io.anchormq.platform.testsupport.PostgresServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows whose commit returned survive a SIGKILL of the process that wrote them: a child JVM commits rows one by one,
 * printing each id once committed, and is killed right after some; reopened, the store must have every row it
 * printed. For the embedded H2 database this is what WRITE_DELAY=0 is for (with H2's default delay committed rows
 * were lost); for PostgreSQL it checks that nothing between the table and the server holds commits back.
 */
@Timeout(180)
class StoreDurabilityTest {

    @TempDir
    Path dir;

    @Test
    void embeddedH2KeepsEveryCommittedRowThroughKill9() throws Exception {
        StoreSettings settings = new StoreSettings(StoreSettings.embeddedH2Url(dir.resolve("data")), "", "", 2);
        // several rounds into the same database: each kill lands at another point of H2's writes
        for (int[] round : new int[][] {{1, 25}, {2, 200}, {3, 60}}) {
            killAfterCommitsAndCheck(settings, "r" + round[0], round[1]);
        }
    }

    @Test
    void postgresKeepsEveryCommittedRowThroughKill9OfTheClient() throws Exception {
        PostgresServer server = PostgresServer.shared();
        StoreSettings settings = new StoreSettings(server.createDatabase("durability"), server.user(), "", 2);
        killAfterCommitsAndCheck(settings, "pg", 100);
    }

    private void killAfterCommitsAndCheck(StoreSettings settings, String prefix, int commitsBeforeKill)
            throws Exception {
        // the child reports on stderr, into a file, not a pipe: destroyForcibly closes the pipes, and the lines the
        // child wrote before it died are wanted too (a write(2) to a file survives the SIGKILL of its writer)
        Path stdout = Files.createTempFile(dir, "child", ".out");
        Path stderr = Files.createTempFile(dir, "child", ".err");
        Process child = ChildJvm.of(List.of("-Xmx128m"), CommitAndPrint.class,
                        settings.url(), settings.user(), settings.password(), prefix)
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (committed(stderr).size() < commitsBeforeKill) {
                assertTrue(child.isAlive(), "the child ended: " + Files.readString(stderr) + Files.readString(stdout));
                assertTrue(System.nanoTime() < deadline, "too slow: " + committed(stderr).size() + " rows");
                Thread.sleep(1);
            }
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close of the database
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        }
        List<String> committed = committed(stderr);
        assertTrue(committed.size() >= commitsBeforeKill);

        try (Database db = Database.open(settings)) {
            Set<String> stored = new DeviceTable(db).list(Workspace.DEFAULT_ID).stream().map(Device::id)
                    .collect(Collectors.toCollection(HashSet::new));
            List<String> lost = committed.stream().filter(id -> !stored.contains(id)).toList();
            assertEquals(List.of(), lost, "rows reported committed but missing after kill -9 (of "
                    + committed.size() + ")");
        }
    }

    /** The ids the child reported committed; a last line cut short by the kill does not count. */
    private static List<String> committed(Path stderr) throws IOException {
        String text = Files.readString(stderr, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        List<String> ids = new ArrayList<>();
        for (String line : end < 0 ? new String[0] : text.substring(0, end).split("\n")) {
            if (line.startsWith("committed ")) {
                ids.add(line.substring("committed ".length()));
            }
        }
        return ids;
    }
}
