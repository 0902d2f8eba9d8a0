package io.anchormq.bench.profile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Where a JFR recording spent its CPU samples and its allocations: JDK 17's {@code jfr} tool has no
 * {@code view hot-methods}, so this reads the recording with the JDK's own {@code jdk.jfr.consumer} API.
 */
@Command(name = "hot-methods", mixinStandardHelpOptions = true,
        description = "Top methods of a JFR recording: by CPU samples (self and total) and by allocation weight.")
public final class HotMethodsCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The .jfr file.")
    Path recording;

    @Option(names = "--top", defaultValue = "25", description = "Rows per table (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--focus", defaultValue = "io.anchormq.",
            description = "Package prefix whose frames get their own table of total samples (default: ${DEFAULT-VALUE}).")
    String focus;

    @Option(names = "--thread", description = "Only samples of threads whose name contains this.")
    String thread;

    @Override
    public Integer call() throws IOException {
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> total = new HashMap<>();
        Map<String, Long> focused = new HashMap<>();
        Map<String, Long> allocatedBySite = new HashMap<>();
        Map<String, Long> allocatedByClass = new HashMap<>();
        long samples = 0;
        long allocated = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                String type = e.getEventType().getName();
                if (type.equals("jdk.ExecutionSample")) {
                    if (thread != null && !String.valueOf(e.getThread("sampledThread").getJavaName()).contains(thread)) {
                        continue;
                    }
                    RecordedStackTrace st = e.getStackTrace();
                    if (st == null || st.getFrames().isEmpty()) {
                        continue;
                    }
                    samples++;
                    List<RecordedFrame> frames = st.getFrames();
                    self.merge(name(frames.get(0)), 1L, Long::sum);
                    Set<String> seen = new HashSet<>();
                    for (RecordedFrame f : frames) {
                        String n = name(f);
                        if (seen.add(n)) {
                            total.merge(n, 1L, Long::sum);
                            if (n.startsWith(focus)) {
                                focused.merge(n, 1L, Long::sum);
                            }
                        }
                    }
                } else if (type.equals("jdk.ObjectAllocationSample")) {
                    long weight = e.getLong("weight");
                    allocated += weight;
                    allocatedByClass.merge(e.getClass("objectClass").getName(), weight, Long::sum);
                    RecordedStackTrace st = e.getStackTrace();
                    if (st != null) {
                        allocatedBySite.merge(site(st.getFrames()), weight, Long::sum);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%d execution samples, %.1f MB of sampled allocation weight%n%n", samples,
                allocated / 1e6);
        print("CPU samples, top frame (self)", self, samples, "samples");
        print("CPU samples, anywhere on the stack (total)", total, samples, "samples");
        print("CPU samples in " + focus + "* (total)", focused, samples, "samples");
        print("allocation weight by allocating frame (first frame outside java.*/jdk.*, with the JDK frame below it)",
                allocatedBySite, allocated, "bytes");
        print("allocation weight by class", allocatedByClass, allocated, "bytes");
        return 0;
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    /** The application frame that allocated, with the library frame that did it on its behalf. */
    private static String site(List<RecordedFrame> frames) {
        String inner = frames.isEmpty() ? "?" : name(frames.get(0));
        for (RecordedFrame f : frames) {
            String n = name(f);
            if (!n.startsWith("java.") && !n.startsWith("jdk.") && !n.startsWith("sun.")) {
                return n.equals(inner) ? n : n + "  <-  " + inner;
            }
        }
        return inner;
    }

    private void print(String title, Map<String, Long> counts, long all, String unit) {
        System.out.println("== " + title);
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .forEach(e -> System.out.printf(Locale.ROOT, "%6.2f%%  %12d %s  %s%n",
                        all == 0 ? 0 : 100.0 * e.getValue() / all, e.getValue(), unit, e.getKey()));
        System.out.println();
    }
}
