package io.anchormq.platform.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * One rule of a workspace's ordered ACL; the first rule (lowest position) that matches a client and a topic decides.
 *
 * @param id a UUID; null on create: a random one
 * @param subjectKind "any", "device", "group" or "anonymous"
 * @param subject the device id or group name; null (ignored) for "any" and "anonymous"
 * @param action "publish", "subscribe" or "all"
 * @param topic an MQTT topic filter
 * @param permission "allow" or "deny"
 * @param createdAt null on create: the time of the insert
 */
public record AclRule(String id, String workspaceId, int position, String subjectKind, String subject, String action,
                      String topic, String permission, Instant createdAt) {

    static final Set<String> SUBJECT_KINDS = Set.of("any", "device", "group", "anonymous");
    static final Set<String> ACTIONS = Set.of("publish", "subscribe", "all");
    static final Set<String> PERMISSIONS = Set.of("allow", "deny");

    public AclRule {
        Objects.requireNonNull(workspaceId, "workspaceId");
        Objects.requireNonNull(topic, "topic");
        if (!SUBJECT_KINDS.contains(subjectKind)) {
            throw new IllegalArgumentException("ACL subject kind must be one of " + SUBJECT_KINDS + ": " + subjectKind);
        }
        if (!ACTIONS.contains(action)) {
            throw new IllegalArgumentException("ACL action must be one of " + ACTIONS + ": " + action);
        }
        if (!PERMISSIONS.contains(permission)) {
            throw new IllegalArgumentException("ACL permission must be one of " + PERMISSIONS + ": " + permission);
        }
        if ((subjectKind.equals("device") || subjectKind.equals("group")) && subject == null) {
            throw new IllegalArgumentException("ACL subject: a " + subjectKind + " rule names its " + subjectKind);
        }
    }
}
