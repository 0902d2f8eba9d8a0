package io.anchormq.platform.testsupport;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;

/** Memory measurements of the in-process broker (tests start the broker in the test JVM). */
public final class BrokerMemory {

    public static final long MIB = 1024L * 1024L;

    private BrokerMemory() {
    }

    /** Used heap in bytes after a few full GCs (Runtime totalMemory - freeMemory). */
    public static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    /**
     * Live instances of a class in this JVM, from the JVM's class histogram (which collects garbage first, so only
     * reachable objects count).
     */
    public static long liveInstances(String className) throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        // rows: "   7:     16856     1483328  io.anchormq.broker.connection.MqttConnection"
        for (String row : histogram.split("\n")) {
            String[] cols = row.trim().split("\\s+");
            if (cols.length >= 4 && cols[3].equals(className)) {
                return Long.parseLong(cols[1]);
            }
        }
        return 0;
    }

    /** Direct memory in use by Netty's allocator, or -1 if Netty does not track it. */
    public static long nettyDirectMemory() {
        return PlatformDependent.usedDirectMemory();
    }

    public static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (double) MIB);
    }
}
