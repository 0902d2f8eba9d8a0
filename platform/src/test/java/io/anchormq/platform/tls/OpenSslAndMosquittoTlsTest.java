package io.anchormq.platform.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.testsupport.ExternalTools;
import io.anchormq.platform.pki.IssuedCertificate;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import java.io.File;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS listeners with OpenSSL and Mosquitto: device keys and CSRs made by the openssl command line, signed by the
 * platform CA's Java API, used by mosquitto_pub; openssl s_client handshakes with TLS 1.2 and 1.3 and verifies the
 * server against ca.crt. Missing binaries: skipped, or failed when the environment variable CI is set.
 */
@Timeout(90)
class OpenSslAndMosquittoTlsTest {

    private static BrokerFixture broker;
    private static Path work;

    @BeforeAll
    static void requireBinariesAndStartBroker() throws IOException {
        ExternalTools.require(ExternalTools.onPath("openssl").isPresent(), "openssl", "apt-get install openssl");
        ExternalTools.require(ExternalTools.onPath("mosquitto_pub").isPresent(), "mosquitto_pub",
                "apt-get install mosquitto-clients");
        // mqtts demands a client certificate, so a mosquitto_pub that gets through did present one; wss keeps the
        // default (optional) for a handshake without one
        broker = BrokerFixture.start("anchormq.listeners.mqtts.client-auth = required");
        work = Files.createDirectories(Path.of("target/test-data", "openssl-" + UUID.randomUUID()));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private record Result(int exit, String output) {
    }

    /** Runs a command in the work directory to its end; stdin is empty, stdout and stderr together. */
    private static Result run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.exitValue(), output);
    }

    private static void ok(String... command) throws Exception {
        Result r = run(command);
        assertEquals(0, r.exit(), () -> String.join(" ", command) + " failed:\n" + r.output());
    }

    /** The literal recipe a device maker follows, then the platform signs the CSR; returns the certificate. */
    private static IssuedCertificate device(String name, boolean rsa) throws Exception {
        if (rsa) {
            ok("openssl", "genrsa", "-out", name + ".key", "2048");
        } else {
            ok("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    name + ".key");
        }
        ok("openssl", "req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", "/CN=device-001/O=Acme");
        IssuedCertificate issued = Enrolment.issue(broker, Files.readString(work.resolve(name + ".csr")),
                Duration.ofDays(30));
        Files.writeString(work.resolve(name + ".crt"), issued.certificatePem());
        return issued;
    }

    private static String caFile() {
        return broker.caCertificate().toAbsolutePath().toString();
    }

    private static List<String> mosquittoPub(String version, String topic, String message, String... tls) {
        List<String> command = new ArrayList<>(List.of("mosquitto_pub", "-h", "127.0.0.1", "-p",
                String.valueOf(broker.listenerPort("mqtts")), "-V", version, "-q", "1", "-t", topic, "-m", message,
                "--cafile", caFile()));
        command.addAll(List.of(tls));
        return command;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ec-mqttv311", "rsa-mqttv5"})
    void mosquittoPubWithAnOpensslMadeKeyAndAPlatformSignedCertificateIsReceived(String variant) throws Exception {
        boolean rsa = variant.startsWith("rsa");
        String version = variant.substring(variant.indexOf('-') + 1);
        String name = "device001-" + variant;
        IssuedCertificate issued = device(name, rsa);
        assertEquals("device-001", issued.commonName());
        assertEquals("CN=device-001,O=Acme", issued.subject());
        String topic = PahoTestClients.unique("tls/mosquitto");

        // the certificate's device is in Enrolment's workspace: so is the subscriber
        try (V3 subscriber = Enrolment.watcher(broker)) {
            subscriber.subscribe(topic, 1);
            ok(mosquittoPub(version, topic, "from " + variant, "--cert", name + ".crt", "--key", name + ".key")
                    .toArray(String[]::new));
            assertEquals("from " + variant, subscriber.next(TlsClients.WAIT).text());
        }
    }

    @Test
    void mosquittoPubWithoutCertificateOrWithARevokedOneIsRefused() throws Exception {
        IssuedCertificate issued = device("device-revoked", false);
        String topic = PahoTestClients.unique("tls/refused");
        Result none = run(mosquittoPub("mqttv311", topic, "x").toArray(String[]::new));
        assertNotEquals(0, none.exit(), none.output());

        ok(mosquittoPub("mqttv311", topic, "x", "--cert", "device-revoked.crt", "--key", "device-revoked.key")
                .toArray(String[]::new)); // accepted before

        broker.server().pki().revoke(new BigInteger(issued.serial(), 16), Instant.now());
        Result revoked = run(mosquittoPub("mqttv311", topic, "x", "--cert", "device-revoked.crt", "--key",
                "device-revoked.key").toArray(String[]::new));
        assertNotEquals(0, revoked.exit(), revoked.output());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-tls1_2", "-tls1_3"})
    void opensslSClientHandshakesAndVerifiesTheServerAgainstCaCrt(String protocol) throws Exception {
        String expected = protocol.equals("-tls1_2") ? "TLSv1.2" : "TLSv1.3";
        device("sclient", false);
        // with a client certificate on the listener that requires one
        Result mqtts = run("openssl", "s_client", "-connect", "127.0.0.1:" + broker.listenerPort("mqtts"), protocol,
                "-CAfile", caFile(), "-verify_return_error", "-verify_ip", "127.0.0.1",
                "-cert", "sclient.crt", "-key", "sclient.key");
        assertTrue(mqtts.output().contains("New, " + expected + ", Cipher is"), mqtts.output());
        assertTrue(mqtts.output().contains("Verify return code: 0 (ok)"), mqtts.output());
        // without one on the listener where it is optional
        Result wss = run("openssl", "s_client", "-connect", "127.0.0.1:" + broker.listenerPort("wss"), protocol,
                "-CAfile", caFile(), "-verify_return_error", "-verify_hostname", "localhost");
        assertTrue(wss.output().contains("New, " + expected + ", Cipher is"), wss.output());
        assertTrue(wss.output().contains("Verify return code: 0 (ok)"), wss.output());
    }

    @Test
    void opensslSClientDoesNotVerifyTheServerAgainstAnotherCa() throws Exception {
        Path other = work.resolve("other-ca.crt");
        Files.writeString(other, DeviceCredentials.pem(DeviceCredentials.ForeignCa.create().certificate()));
        Result r = run("openssl", "s_client", "-connect", "127.0.0.1:" + broker.listenerPort("wss"), "-CAfile",
                other.toAbsolutePath().toString());
        assertTrue(r.output().contains("Verify return code: "), r.output());
        assertTrue(!r.output().contains("Verify return code: 0 (ok)"), r.output());
    }

    @Test
    void tlsBelow12IsNotOffered() throws Exception {
        Result r = run("openssl", "s_client", "-connect", "127.0.0.1:" + broker.listenerPort("wss"), "-tls1_1",
                // OpenSSL 3 itself refuses TLS 1.1 at its default security level: level 0 lets it offer it
                "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", caFile());
        assertTrue(!r.output().contains("New, TLSv1.1"), r.output());
        assertNotEquals(0, r.exit(), r.output());
    }
}
