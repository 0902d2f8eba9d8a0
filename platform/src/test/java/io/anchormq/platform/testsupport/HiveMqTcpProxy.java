package io.anchormq.platform.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Loopback TCP relay in front of the broker. A HiveMQ client connected through it can be cut off ungracefully
 * (TCP reset, no DISCONNECT packet) with {@link #dropAllConnections()}, which the HiveMQ API cannot do itself.
 */
public final class HiveMqTcpProxy implements AutoCloseable {

    private final ServerSocket serverSocket;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public HiveMqTcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "hivemq-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    private void acceptLoop() {
        while (!serverSocket.isClosed()) {
            try {
                Socket client = serverSocket.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                // orderly end of one direction: pass it on as an orderly half-close (FIN), so data already
                // relayed (e.g. a DISCONNECT packet) is not discarded by a reset
                to.shutdownOutput();
                if (from.isOutputShutdown()) {
                    from.close();
                    to.close();
                }
            } catch (IOException e) {
                // connection dropped or reset: reset the other side too
                closeHard(from);
                closeHard(to);
            }
        }, "hivemq-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Resets every relayed connection in both directions, without any MQTT DISCONNECT. */
    public void dropAllConnections() {
        for (Socket s : sockets) {
            closeHard(s);
        }
        sockets.clear();
    }

    private static void closeHard(Socket s) {
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0);
            }
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        dropAllConnections();
    }
}
