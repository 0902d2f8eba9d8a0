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
 */
public record ClientIdentity(String workspace, String device, String username, String credential) {

    public static final String DEFAULT_WORKSPACE = "default";

    public static ClientIdentity anonymous(String workspace, String username) {
        return new ClientIdentity(workspace, null, username, null);
    }

    public boolean isAnonymous() {
        return device == null;
    }
}
