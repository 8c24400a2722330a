package dev.shepherd.http;

import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

class ScratchProbeTest {
    @TempDir
    Path home;

    @Test
    void probe() throws Exception {
        try (TestServer server = TestServer.start(home)) {
            int port = server.server().httpPort();
            String auth = TestServer.basic("admin", TestServer.ADMIN_PASSWORD);
            String[] requests = {
                "GET /api/v1/devices/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nConnection: close\r\n\r\n",
                "GET /api/v1/devices?name=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nConnection: close\r\n\r\n",
                "GET /% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /api/v1/devices?name=" + "a".repeat(70000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /api/v1/devices?name=" + "a".repeat(20000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /api/v1/devices/%C0%AF HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nConnection: close\r\n\r\n",
                "POST /api/v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks(11 * 1024 * 1024),
                "POST /api/v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"name\":\"a\",\"name\":1}",
                "POST /api/v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"name\":\"a\\u0007\"}",
                "POST /api/v1/devices/import HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"devices\":[{\"platform\":1234}]",
                "GET /api/v1/devices?status=bogus HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nConnection: close\r\n\r\n",
            };
            for (String request : requests) {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    socket.setSoTimeout(10000);
                    OutputStream out = socket.getOutputStream();
                    try {
                        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                    } catch (Exception e) {
                        System.out.println("WRITE FAILED " + e);
                    }
                    InputStream in = socket.getInputStream();
                    byte[] buffer = in.readNBytes(600);
                    System.out.println("=== " + request.substring(0, Math.min(60, request.length())).replace("\r\n", " | ") + "\n" + new String(buffer, StandardCharsets.ISO_8859_1));
                } catch (Exception e) {
                    System.out.println("=== " + request.substring(0, 40) + " FAILED " + e);
                }
            }
        }
    }

    private static String chunks(int total) {
        StringBuilder body = new StringBuilder();
        String chunk = "a".repeat(65536);
        for (int sent = 0; sent < total; sent += chunk.length()) {
            body.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        return body.append("0\r\nConnection: close\r\n\r\n").toString();
    }
}
