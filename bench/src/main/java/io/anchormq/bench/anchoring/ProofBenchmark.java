package io.anchormq.bench.anchoring;

import io.anchormq.anchoring.log.WorkspaceLog;
import io.anchormq.anchoring.merkle.ProofException;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.proof.TlogProof;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SignatureException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Proofs over a large log, for random entries: the platform producing a proof file (inclusion proof from the hash
 * index, the entry read back from its bundle as the proof's extra data, the signed checkpoint), and a verifier
 * checking one (RFC 9162 inclusion verification alone, and the whole offline check: parse the file, verify the
 * checkpoint's Ed25519 signature, recompute the root). The log is built once into {@code anchormq.bench.dir}
 * (default {@code target/bench-logs}) and reused by later runs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
public class ProofBenchmark {

    @Param({"10000000"})
    public long size;

    private WorkspaceLog log;
    private long[] indexes;
    private TlogProof[] proofs;
    private String[] proofFiles;
    private byte[][] leaves;
    private Checkpoint checkpoint;
    private int next;

    @Setup(Level.Trial)
    public void openLog() throws IOException {
        Path dir = Path.of(System.getProperty("anchormq.bench.dir", "target/bench-logs"), "log-" + size);
        log = BenchLogs.ofSize(dir, size);
        SplittableRandom random = new SplittableRandom(42);
        indexes = new long[4096];
        proofs = new TlogProof[indexes.length];
        proofFiles = new String[indexes.length];
        leaves = new byte[indexes.length][];
        for (int i = 0; i < indexes.length; i++) {
            indexes[i] = random.nextLong(size);
            proofs[i] = log.proof(indexes[i]);
            proofFiles[i] = proofs[i].format();
            leaves[i] = Rfc9162.leafHash(proofs[i].extra().orElseThrow());
        }
        checkpoint = proofs[0].checkpoint();
    }

    @TearDown(Level.Trial)
    public void closeLog() {
        log.close();
    }

    private int nextSlot() {
        next = (next + 1) & (indexes.length - 1);
        return next;
    }

    /** What {@code GET /log/<ws>/proof?index=N} computes. */
    @Benchmark
    public TlogProof proofFile() {
        return log.proof(indexes[nextSlot()]);
    }

    @Benchmark
    public byte[] verifyInclusion() throws ProofException {
        int i = nextSlot();
        return ProofVerifier.rootFromInclusionProof(leaves[i], indexes[i], checkpoint.size(),
                proofs[i].inclusionProof());
    }

    /** The offline verifier's work for one proof file (without reading files). */
    @Benchmark
    public Checkpoint parseAndVerifyProofFile() throws ProofException, SignatureException {
        TlogProof proof = TlogProof.parse(proofFiles[nextSlot()]);
        proof.checkpointNote().verify(List.of(BenchLogs.KEY.verifier()));
        Checkpoint cp = proof.checkpoint();
        ProofVerifier.verifyInclusion(Rfc9162.leafHash(proof.extra().orElseThrow()), proof.index(), cp.size(),
                proof.inclusionProof(), cp.root());
        return cp;
    }
}
