package io.anchormq.broker.auth;

/** What authentication decided about a {@link ConnectAttempt}. */
public sealed interface Authentication {

    /** The client may connect, as {@code identity}. */
    record Admitted(ClientIdentity identity) implements Authentication {
    }

    /**
     * The client is refused with {@code reasonCode}, an MQTT 5 CONNACK reason code (0x86 bad user name or password,
     * 0x87 not authorized, 0x8C bad authentication method, 0x88 server unavailable, 0x89 server busy, ...); 3.1.1
     * clients get the nearest 3.1.1 return code.
     *
     * @param workspace the workspace whose credential (user name, token, certificate) the client failed to prove,
     *     when the authenticator knows it: the refusal is counted there too; null: counted for the listener only
     * @param afterPenalty the answer was held back for repeated failures from the client's address
     */
    record Refused(int reasonCode, String reason, String workspace, boolean afterPenalty) implements Authentication {

        /** The same refusal, answered after a penalty. */
        public Refused late() {
            return new Refused(reasonCode, reason, workspace, true);
        }
    }

    int BAD_USER_NAME_OR_PASSWORD = 0x86;
    int NOT_AUTHORIZED = 0x87;
    int SERVER_UNAVAILABLE = 0x88;
    int SERVER_BUSY = 0x89;
    int BAD_AUTHENTICATION_METHOD = 0x8C;

    static Authentication admit(ClientIdentity identity) {
        return new Admitted(identity);
    }

    static Authentication refuse(int reasonCode, String reason) {
        return new Refused(reasonCode, reason, null, false);
    }

    /** A refusal of a client that failed to prove a credential of {@code workspace}. */
    static Authentication refuse(int reasonCode, String reason, String workspace) {
        return new Refused(reasonCode, reason, workspace, false);
    }
}
