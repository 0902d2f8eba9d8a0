package io.anchormq.platform.store;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Run in a child JVM by {@link StoreDurabilityTest}: opens the store, creates devices {@code <prefix>-0, -1, ...}
 * in the default workspace one transaction each, and prints {@code committed <id>} to stderr once each create has
 * returned, until it is killed.
 */
public final class CommitAndPrint {

    private CommitAndPrint() {
    }

    /** Arguments: JDBC URL, user, password, id prefix. */
    public static void main(String[] args) {
        // on stderr, unbuffered: stdout has the log lines of the pool and the migrations, and they must not interleave
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        try (Database db = Database.open(new StoreSettings(args[0], args[1], args[2], 2))) {
            DeviceTable devices = new DeviceTable(db);
            out.println("open");
            for (int i = 0; ; i++) {
                String id = args[3] + "-" + i;
                devices.create(new Device(Workspace.DEFAULT_ID, id, null, List.of("g")));
                out.println("committed " + id);
            }
        }
    }
}
