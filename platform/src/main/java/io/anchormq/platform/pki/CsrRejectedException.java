package io.anchormq.platform.pki;

/**
 * A certificate signing request the CA will not sign: not a PEM PKCS#10 request, a signature that does not verify
 * with the request's own key, or a subject without a common name. The message says which, for the requester (the
 * HTTP API answers 400 with it).
 */
public final class CsrRejectedException extends IllegalArgumentException {

    CsrRejectedException(String message) {
        super(message);
    }

    CsrRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
