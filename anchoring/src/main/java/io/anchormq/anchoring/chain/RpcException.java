package io.anchormq.anchoring.chain;

import java.io.IOException;

import org.web3j.protocol.core.Response;

/** The node answered a JSON-RPC call with an error (as opposed to not answering at all). */
final class RpcException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int code;

    RpcException(String method, Response.Error error) {
        super(method + " failed: " + error.getMessage() + " (code " + error.getCode() + ")");
        this.code = error.getCode();
    }

    int code() {
        return code;
    }
}
