package io.anchormq.platform.workspace;

/** Access token authentication on the embedded H2 store. */
class TokenAuthenticationTest extends TokenAuthenticationContract {

    @Override
    String storeConfig() {
        return "";
    }
}
