package io.anchormq.broker.auth;

/**
 * Who a connected client is, as its authentication decided: the workspace it belongs to (its topics, retained
 * messages, sessions and log are that workspace's alone) and, unless it is anonymous, the device and the credential
 * it proved.
 *
 * @param device null for an anonymous client
 * @param username the user name it connected with, if any
 * @param credential the id of the credential it proved (null for anonymous clients): revoking it disconnects the
 *     client
 * @param confinedTo null, or the topic prefix an anonymous client is confined to: it may publish and subscribe only
 *     to exact topics below it (no wildcards, no shared subscriptions), retain nothing, leave no will, and its
 *     session is short
 */
public record ClientIdentity(String workspace, String device, String username, String credential,
                             String confinedTo) {

    public static final String DEFAULT_WORKSPACE = "default";

    public ClientIdentity(String workspace, String device, String username, String credential) {
        this(workspace, device, username, credential, null);
    }

    public static ClientIdentity anonymous(String workspace, String username) {
        return new ClientIdentity(workspace, null, username, null, null);
    }

    /** An anonymous client of {@code workspace} confined to exact topics below {@code topicPrefix}. */
    public static ClientIdentity confined(String workspace, String username, String topicPrefix) {
        return new ClientIdentity(workspace, null, username, null, topicPrefix);
    }

    public boolean isConfined() {
        return confinedTo != null;
    }

    /** Whether a confined client may use {@code topic}: an exact topic below its prefix (always, unconfined). */
    public boolean mayUse(String topic) {
        return confinedTo == null || (topic.startsWith(confinedTo) && topic.length() > confinedTo.length()
                && topic.indexOf('+') < 0 && topic.indexOf('#') < 0);
    }

    public boolean isAnonymous() {
        return device == null;
    }
}
