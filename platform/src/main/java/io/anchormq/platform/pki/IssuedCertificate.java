package io.anchormq.platform.pki;

import java.time.Instant;

/**
 * A client certificate the CA issued.
 *
 * @param serial the serial number in lower-case hex (what {@link PlatformCa#revoke} takes, as a number)
 * @param subject the subject as in the request, e.g. "CN=device-001,O=Acme"
 * @param commonName the subject's CN
 * @param certificatePem the certificate alone
 * @param chainPem the certificate followed by the CA's: what a device presents
 */
public record IssuedCertificate(String serial, String subject, String commonName, Instant notBefore,
                                Instant notAfter, String certificatePem, String chainPem) {
}
