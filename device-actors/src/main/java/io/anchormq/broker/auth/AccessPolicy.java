package io.anchormq.broker.auth;

/**
 * The access hook consulted on SUBSCRIBE and PUBLISH (who may connect at all is the {@link Authenticator}'s).
 * Implementations are called from session actors concurrently, so they must be thread-safe and must not block.
 */
public interface AccessPolicy {

    /** An access decision: {@code reasonCode} is the MQTT 5 reason code to report when refused. */
    record Decision(boolean allowed, int reasonCode) {
        public static final Decision ALLOW = new Decision(true, 0);

        public static Decision deny(int reasonCode) {
            return new Decision(false, reasonCode);
        }
    }

    /** Reason codes used by policies (MQTT 5.0 §2.4). */
    int UNSPECIFIED_ERROR = 0x80;
    int NOT_AUTHORIZED = 0x87;

    /**
     * Whether {@code who}, connected as {@code clientId}, may subscribe; {@code topicFilter} is the filter as sent,
     * including any {@code $share/group/} prefix. Also asked again of every subscription when the rules change.
     */
    Decision onSubscribe(ClientIdentity who, String clientId, String topicFilter);

    /** Whether {@code who}, connected as {@code clientId}, may publish to {@code topic} (its will included). */
    Decision onPublish(ClientIdentity who, String clientId, String topic);

    /** Lets everything through. */
    AccessPolicy ALLOW_ALL = new AccessPolicy() {
        @Override
        public Decision onSubscribe(ClientIdentity who, String clientId, String topicFilter) {
            return Decision.ALLOW;
        }

        @Override
        public Decision onPublish(ClientIdentity who, String clientId, String topic) {
            return Decision.ALLOW;
        }
    };
}
