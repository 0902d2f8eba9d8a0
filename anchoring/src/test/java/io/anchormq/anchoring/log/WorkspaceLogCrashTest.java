package io.anchormq.anchoring.log;

import static io.anchormq.anchoring.log.TestRecords.KEY;
import static io.anchormq.anchoring.log.TestRecords.ORIGIN;
import static io.anchormq.anchoring.log.TestRecords.WORKSPACE;
import static io.anchormq.anchoring.log.TestRecords.assertEntryOf;
import static io.anchormq.anchoring.log.TestRecords.record;
import static io.anchormq.anchoring.log.TestRecords.verifiedCheckpoint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.testsupport.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: a child JVM appends through the actor from several threads and is killed with SIGKILL at a random
 * moment; then this JVM reopens the log. Everything the child was told is logged must be there, as written, and
 * findable; the last checkpoint it printed must be consistent with the log's checkpoints after more appends.
 * Repeated, so that each child also recovers from the previous kill.
 */
class WorkspaceLogCrashTest {

    @TempDir
    Path dir;
    @TempDir
    Path scratch;

    @Test
    void aKilledWriterLosesNothingItReportedAsLogged() throws Exception {
        Random random = new Random();
        long expectedSize = 0;
        for (int round = 0; round < 3; round++) {
            long firstRecord = (round + 1) * 1_000_000_000L;
            Process child = ChildJvm.of(List.of(), LoggingProcess.class, dir.toString(), Long.toString(firstRecord))
                    .redirectError(scratch.resolve("child-" + round + ".err").toFile())
                    .start();
            LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> readLines(child, lines));
            reader.start();
            List<String> logged = new ArrayList<>();
            String lastCheckpoint = null;
            try {
                String line = lines.poll(60, TimeUnit.SECONDS);
                while (line != null && !line.startsWith(LoggingProcess.OPENED)) {
                    line = lines.poll(60, TimeUnit.SECONDS);
                }
                assertNotNull(line, "round " + round + ": the child did not open the log (see child-" + round
                        + ".err)");
                long opened = Long.parseLong(line.substring(LoggingProcess.OPENED.length()));
                assertTrue(opened >= expectedSize, "round " + round + ": the child opened the log at size "
                        + opened + ", below " + expectedSize);
                // once it is logging (a loaded machine may take a while to get there), a timer of its own: the
                // kill lands anywhere
                List<String> early = new ArrayList<>();
                String first = lines.poll(60, TimeUnit.SECONDS);
                while (first != null && !first.startsWith(LoggingProcess.LOGGED)) {
                    early.add(first);
                    first = lines.poll(60, TimeUnit.SECONDS);
                }
                assertNotNull(first, "round " + round + ": the child logged nothing within 60 s");
                early.add(first);
                Thread.sleep(300 + random.nextInt(1200));
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                reader.join(10_000);
                early.addAll(lines);
                for (String output : early) {
                    if (output.startsWith(LoggingProcess.LOGGED)) {
                        logged.add(output);
                    } else if (output.startsWith(LoggingProcess.CHECKPOINT)) {
                        lastCheckpoint = new String(Base64.getDecoder().decode(
                                output.substring(LoggingProcess.CHECKPOINT.length())), StandardCharsets.UTF_8);
                    }
                }
            } finally {
                child.destroyForcibly();
            }
            assertTrue(!logged.isEmpty() && lastCheckpoint != null, "round " + round + ": the child logged nothing");

            try (WorkspaceLog log = WorkspaceLog.open(dir, WORKSPACE, ORIGIN, List.of(KEY))) {
                for (String line : logged) {
                    String[] fields = line.split(" ");
                    long index = Long.parseLong(fields[1]);
                    LogRecord record = record(Long.parseLong(fields[2]));
                    assertTrue(index < log.size(), "entry " + index + " was reported logged; the log has "
                            + log.size());
                    assertEntryOf(record, index, log.entry(index));
                    assertArrayEquals(Base64.getDecoder().decode(fields[3]), log.entry(index).leafHash(),
                            "entry " + index + " is not the one written");
                    assertTrue(log.find(record.clientId(), record.topic(), record.payloadSha256()).contains(index));
                }
                Checkpoint printed = verifiedCheckpoint(lastCheckpoint, log.verifiers());
                assertTrue(printed.size() <= log.size());
                log.append(TestRecords.records(firstRecord + 900_000_000L, firstRecord + 900_000_100L));
                Checkpoint now = verifiedCheckpoint(log.checkpoint(), log.verifiers());
                ProofVerifier.verifyConsistency(printed.size(), now.size(),
                        log.consistencyProof(printed.size(), now.size()), printed.root(), now.root());
                expectedSize = log.size();
                System.out.println("round " + round + ": " + logged.size() + " appends reported logged, last "
                        + "printed checkpoint " + printed.size() + ", recovered " + (now.size() - 100));
            }
        }
    }

    private static void readLines(Process child, LinkedBlockingQueue<String> lines) {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            // the child was killed
        }
    }
}
