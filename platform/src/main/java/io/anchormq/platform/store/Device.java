package io.anchormq.platform.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A device of a workspace; its id is its MQTT identity there.
 *
 * @param createdAt null on create: the time of the insert
 * @param groups names of the groups it is in (ACL subjects), sorted when read
 */
public record Device(String workspaceId, String id, Instant createdAt, List<String> groups) {

    public Device {
        Objects.requireNonNull(workspaceId, "workspaceId");
        Objects.requireNonNull(id, "id");
        groups = groups == null ? List.of() : List.copyOf(groups);
    }
}
