package io.anchormq.platform.store;

/** The store's tables over one database, made once and shared (they hold no state but the pool). */
public record Tables(Database database, WorkspaceTable workspaces, DeviceTable devices, CredentialTable credentials,
                     ApiKeyTable apiKeys, AclTable acls, CertificateTable certificates) {

    public static Tables of(Database database) {
        return new Tables(database, new WorkspaceTable(database), new DeviceTable(database),
                new CredentialTable(database), new ApiKeyTable(database), new AclTable(database),
                new CertificateTable(database));
    }
}
