package io.anchormq.platform.workspace;

/** The cross-workspace suite on the embedded H2 store. */
class WorkspaceIsolationTest extends WorkspaceIsolationContract {

    @Override
    String storeConfig() {
        return "";
    }
}
