package io.anchormq.platform.pki;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The {@code anchormq.pki} section of the configuration (defaults documented in platform's reference.conf).
 *
 * @param dir where the generated CA and server certificate are kept
 * @param caCertificate the operator's CA certificate (PEM), with {@code caKey}; empty: the platform's own CA
 * @param serverCertificate the operator's server certificate chain (PEM), with {@code serverKey}; empty: issued by
 *     the CA
 */
record PkiSettings(
        Path dir,
        List<String> serverDnsNames,
        List<String> serverIpAddresses,
        Duration caValidity,
        Duration serverValidity,
        Duration renewBefore,
        Duration crlValidity,
        Optional<Path> caCertificate,
        Optional<Path> caKey,
        Optional<Path> serverCertificate,
        Optional<Path> serverKey) {

    static PkiSettings from(Config root) {
        Config p = root.getConfig("anchormq.pki");
        String dir = p.getString("dir");
        return new PkiSettings(
                dir.isEmpty() ? Path.of(root.getString("anchormq.data-dir"), "pki") : Path.of(dir),
                stringList(p, "server-dns-names"),
                stringList(p, "server-ip-addresses"),
                p.getDuration("ca-validity"),
                p.getDuration("server-validity"),
                p.getDuration("renew-before"),
                p.getDuration("crl-validity"),
                path(p, "ca-certificate"),
                path(p, "ca-key"),
                path(p, "server-certificate"),
                path(p, "server-key"));
    }

    private static Optional<Path> path(Config config, String key) {
        String value = config.getString(key);
        return value.isEmpty() ? Optional.empty() : Optional.of(Path.of(value));
    }

    // from the environment a list comes as one comma-separated string
    private static List<String> stringList(Config config, String path) {
        if (config.getValue(path).valueType() == ConfigValueType.STRING) {
            return Arrays.stream(config.getString(path).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .toList();
        }
        return List.copyOf(config.getStringList(path));
    }
}
