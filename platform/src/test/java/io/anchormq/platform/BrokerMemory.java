package io.anchormq.platform;

import io.netty.util.internal.PlatformDependent;

/** Memory measurements of the in-process broker (tests start the broker in the test JVM). */
final class BrokerMemory {

    static final long MIB = 1024L * 1024L;

    private BrokerMemory() {
    }

    /** Used heap in bytes after a few full GCs (Runtime totalMemory - freeMemory). */
    static long usedHeapAfterGc() {
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

    /** Direct memory in use by Netty's allocator, or -1 if Netty does not track it. */
    static long nettyDirectMemory() {
        return PlatformDependent.usedDirectMemory();
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (double) MIB);
    }
}
