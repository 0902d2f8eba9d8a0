package io.anchormq.platform.acl;

import io.anchormq.platform.store.AclTable;
import io.anchormq.platform.store.Device;
import io.anchormq.platform.store.DeviceTable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The ACL in force of every open workspace, read from the store when opened and again whenever it changes. */
public final class WorkspaceAcls {

    private final AclTable rules;
    private final DeviceTable devices;
    private final Map<String, WorkspaceAcl> byWorkspace = new ConcurrentHashMap<>();

    public WorkspaceAcls(AclTable rules, DeviceTable devices) {
        this.rules = rules;
        this.devices = devices;
    }

    /** The workspace's ACL, loaded now if it was not yet. */
    public WorkspaceAcl of(String workspace) {
        return byWorkspace.computeIfAbsent(workspace, w -> {
            WorkspaceAcl acl = new WorkspaceAcl();
            load(w, acl);
            return acl;
        });
    }

    /** Reads the workspace's rules and device groups again and puts them in force. */
    public void reload(String workspace) {
        load(workspace, of(workspace));
    }

    public void forget(String workspace) {
        byWorkspace.remove(workspace);
    }

    private void load(String workspace, WorkspaceAcl acl) {
        Map<String, Set<String>> groups = new HashMap<>();
        for (Device d : devices.list(workspace)) {
            if (!d.groups().isEmpty()) {
                groups.put(d.id(), Set.copyOf(d.groups()));
            }
        }
        acl.update(rules.list(workspace), groups);
    }
}
