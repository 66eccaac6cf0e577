package dev.tokenrail.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Idle SSE connections held by one server, and the heap each costs: a child process ({@link ConnectionServer})
 * is measured after a full GC before and after {@code count} clients connect — from several 127.0.0.x
 * source addresses, as a load balancer's many connections would arrive — and hold their streams open.
 */
final class ConnectionsScenario {

  record Result(int held, long heapBytesPerConnection) {
  }

  private static final int SOURCE_ADDRESSES = 4;

  private ConnectionsScenario() {
  }

  static Result measure(String mode, List<String> serverArgs, int count) throws Exception {
    List<String> command = new ArrayList<>(List.of(javaBin(), "-Xmx4g", "-XX:+UseG1GC", "-cp", ownJar(),
        ConnectionServer.class.getName(), mode));
    command.addAll(serverArgs);
    Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<Socket> sockets = new ArrayList<>();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("READY ")) {
        // the child's start-up log
      }
      if (line == null) {
        throw new IllegalStateException(mode + " server exited before it was ready");
      }
      drainInBackground(out);
      String[] ready = line.split(" ");
      int port = Integer.parseInt(ready[1]);
      int admin = Integer.parseInt(ready[2]);
      long before = stats(admin).getLong("heapUsed");
      for (int i = 0; i < count; i++) {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4 * 1024);
        socket.bind(new InetSocketAddress("127.0.0." + (1 + i % SOURCE_ADDRESSES), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        socket.getOutputStream().write(("GET /api/conversations/idle-" + i + "/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        sockets.add(socket);
        if ((i + 1) % 5_000 == 0) {
          Progress.line("connections %-8s %,d / %,d connected", mode, i + 1, count);
        }
      }
      JsonObject after = stats(admin);
      long started = System.nanoTime();
      while (after.getInteger("connections") < count) {
        if (System.nanoTime() - started > 120e9) {
          throw new IllegalStateException(mode + " holds " + after.getInteger("connections") + " of " + count);
        }
        Thread.sleep(500); // a benchmark waiting on another process, not a test
        after = stats(admin);
      }
      long perConnection = (after.getLong("heapUsed") - before) / count;
      Progress.done("connections %-8s %,d held, %,d heap bytes each", mode, count, perConnection);
      return new Result(after.getInteger("connections"), perConnection);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
      server.destroy();
      server.waitFor();
    }
  }

  private static JsonObject stats(int adminPort) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/stats")).build(),
        HttpResponse.BodyHandlers.ofString());
    return new JsonObject(r.body());
  }

  private static void drainInBackground(BufferedReader out) {
    Thread t = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // discard: the child's log must not fill its pipe and block it
        }
      } catch (java.io.IOException ignored) {
        // the child ended
      }
    }, "connection-server-log");
    t.setDaemon(true);
    t.start();
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String ownJar() throws Exception {
    return Path.of(ConnectionsScenario.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
