package io.anchormq.platform.identity;

import com.typesafe.config.Config;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * How a client certificate the platform did not issue names its device ({@code anchormq.auth.certificates}): by its
 * CN, or by its first subject alternative name of one kind (DNS, URI or e-mail), as a device of one workspace.
 *
 * @param source "cn", "dns", "uri" or "email"
 */
public record CertificateNames(String workspace, String source) {

    private static final List<String> SOURCES = List.of("cn", "dns", "uri", "email");

    public CertificateNames {
        if (!SOURCES.contains(source)) {
            throw new IllegalArgumentException("anchormq.auth.certificates.identity must be one of " + SOURCES
                    + ", not " + source);
        }
    }

    public static CertificateNames from(Config root) {
        Config c = root.getConfig("anchormq.auth.certificates");
        return new CertificateNames(c.getString("workspace"), c.getString("identity").toLowerCase(Locale.ROOT));
    }

    /** The device the certificate names, or null when it has no name of the configured kind. */
    String deviceOf(X509Certificate certificate) {
        if (source.equals("cn")) {
            try {
                for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        return rdn.getValue().toString();
                    }
                }
            } catch (InvalidNameException e) {
                return null;
            }
            return null;
        }
        // RFC 5280 GeneralName tags: 1 rfc822Name, 2 dNSName, 6 uniformResourceIdentifier
        int tag = switch (source) {
            case "email" -> 1;
            case "dns" -> 2;
            default -> 6;
        };
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() == 2 && Integer.valueOf(tag).equals(name.get(0))
                            && name.get(1) instanceof String value) {
                        return value;
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return null;
        }
        return null;
    }
}
