package dev.tokenrail.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * nginx with the Nchan module, the pub/sub SSE server many teams run, as the benchmark's baseline written in
 * C: one channel per stream, {@code POST /pub/<channel>} publishes a message, {@code GET /sub/<channel>} (with
 * {@code Accept: text/event-stream}) streams them as EventSource frames. Started as a child process with a
 * configuration of its own in a temporary directory, with as many workers as cores (its default for a busy
 * server), no access log, and Nchan's defaults otherwise. Debian: {@code apt-get install nginx-light
 * libnginx-mod-nchan}.
 */
final class NchanServer implements AutoCloseable {

  static final Path MODULE = Path.of("/usr/lib/nginx/modules/ngx_nchan_module.so");
  /** What marks one event in an EventSource frame from Nchan ({@code id: …\ndata: …\n\n}). */
  static final byte[] EVENT = "\ndata: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final Path dir;
  private final Process process;
  private final int port;

  private NchanServer(Path dir, Process process, int port) {
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  static boolean available() {
    return Files.isRegularFile(MODULE) && Files.isExecutable(Path.of("/usr/sbin/nginx"));
  }

  static NchanServer start() throws Exception {
    if (!available()) {
      throw new IllegalStateException("nginx with Nchan is not installed: apt-get install nginx-light libnginx-mod-nchan");
    }
    Path dir = Files.createTempDirectory("tokenrail-nchan");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(dir.resolve("nginx.conf"), String.join("\n",
        "load_module " + MODULE + ";",
        "user root;",
        "worker_processes auto;",
        "worker_rlimit_nofile 19000;", // this machine's hard limit is 20,000 open files a process
        "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("error.log") + " warn;",
        "events { worker_connections 18000; }",
        "http {",
        "  access_log off;",
        "  client_body_temp_path " + dir.resolve("body") + ";",
        "  proxy_temp_path " + dir.resolve("proxy") + ";",
        "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
        "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
        "  scgi_temp_path " + dir.resolve("scgi") + ";",
        "  server {",
        "    listen 127.0.0.1:" + port + ";",
        "    location ~ ^/pub/([\\w-]+)$ { nchan_publisher; nchan_channel_id $1; }",
        "    location ~ ^/sub/([\\w-]+)$ { nchan_subscriber eventsource; nchan_channel_id $1; }",
        "  }",
        "}", ""));
    Process nginx = new ProcessBuilder("/usr/sbin/nginx", "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString(),
        "-g", "daemon off;").redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
        break;
      } catch (IOException notYet) {
        if (!nginx.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("nginx did not start: " + Files.readString(dir.resolve("out.log")));
        }
        Thread.sleep(100); // waiting for another process to listen
      }
    }
    Progress.line("nginx + Nchan is up (pid %d) on port %d", nginx.pid(), port);
    return new NchanServer(dir, nginx, port);
  }

  int port() {
    return port;
  }

  /** The master and its workers: what serves, for memory. */
  List<Long> pids() throws IOException {
    List<Long> pids = new ArrayList<>(List.of(process.pid()));
    Path children = Path.of("/proc", Long.toString(process.pid()), "task", Long.toString(process.pid()), "children");
    for (String child : Files.readString(children).trim().split("\\s+")) {
      if (!child.isEmpty()) {
        pids.add(Long.parseLong(child));
      }
    }
    return pids;
  }

  @Override
  public void close() throws Exception {
    process.destroy(); // SIGTERM: nginx's fast shutdown
    process.waitFor();
  }
}
