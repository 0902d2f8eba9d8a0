package io.anchormq.platform.workspace;

/** Password authentication on the embedded H2 store. */
class PasswordAuthenticationTest extends PasswordAuthenticationContract {

    @Override
    String storeConfig() {
        return "";
    }
}
