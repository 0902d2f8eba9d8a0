package io.anchormq.bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU time a process has used, as the kernel accounts it: on Linux {@link ProcessHandle.Info#totalCpuDuration()} is
 * utime + stime of {@code /proc/<pid>/stat} in clock ticks ({@code getconf CLK_TCK}, 10 ms here), so two samples
 * over a window of seconds give the cores it used to within a few thousandths.
 */
final class ProcessCpu {

    /** CPU time used until {@code wallNanos} ({@link System#nanoTime()}). */
    record Sample(long cpuNanos, long wallNanos) {
    }

    private final ProcessHandle process;

    ProcessCpu(ProcessHandle process) {
        this.process = process;
    }

    long pid() {
        return process.pid();
    }

    /** Empty once the process has gone (or where the platform does not tell). */
    Optional<Sample> sample() {
        long wall = System.nanoTime();
        return process.info().totalCpuDuration().map(cpu -> new Sample(cpu.toNanos(), wall));
    }

    /** Cores used between two samples: CPU time over wall time. */
    static Optional<Double> cores(Optional<Sample> from, Optional<Sample> to) {
        if (from.isEmpty() || to.isEmpty() || to.get().wallNanos() <= from.get().wallNanos()) {
            return Optional.empty();
        }
        return Optional.of((double) (to.get().cpuNanos() - from.get().cpuNanos())
                / (to.get().wallNanos() - from.get().wallNanos()));
    }

    /**
     * The CPUs the process may run on, as the kernel lists them ({@code Cpus_allowed_list}: "1", "0-1"): what
     * {@code taskset} set, so a report states the pinning it was measured under rather than the one asked for.
     */
    Optional<String> allowedCpus() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return Optional.of(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | SecurityException e) {
            // not Linux, or the process has gone: the report then says nothing about pinning
        }
        return Optional.empty();
    }
}
