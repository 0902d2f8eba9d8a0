package io.anchormq.bench.loadgen;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The instruments generate load on this machine only: any address that is not loopback is refused. */
public final class Loopback {

    private Loopback() {
    }

    /** The host's address when every address it resolves to is a loopback one; otherwise an exception. */
    public static InetAddress require(String host) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host, e);
        }
        for (InetAddress a : addresses) {
            if (!a.isLoopbackAddress()) {
                throw new IllegalArgumentException("refusing " + host + " (" + a.getHostAddress()
                        + "): load is only ever sent to loopback addresses (127.0.0.0/8, ::1)");
            }
        }
        return addresses[0];
    }
}
