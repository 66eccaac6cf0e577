package dev.tokenrail.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Tokenrail as the soak runs it: two child JVMs from the launcher jar, so that "per process" is real — one
 * with the broker and the worker (a fresh data directory), one with the gateway, talking through Kafka
 * only. Auth is off, the message rate limit is off and the stream and lookup caps are far above the load:
 * the soak looks for what grows, not for what is refused. Both are stopped at the end — SIGTERM, then SIGKILL after
 * a bound — also when the soak fails or is interrupted (a shutdown hook). Their logs are kept.
 */
final class SoakProcesses implements AutoCloseable {

  /** A child JVM; {@code log} holds its stdout and stderr. */
  record Child(String name, Process process, Path log) {
    long pid() {
      return process.pid();
    }
  }

  static final String WORKER = "broker+worker";
  static final String WORKER_ALONE = "worker";
  static final String BROKER = "broker";
  static final String GATEWAY = "gateway";
  private static final List<String> JVM_OPTIONS = List.of("-Xmx1g", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  private final Path runDir;
  /** The gateway's JVM options instead of {@link #JVM_OPTIONS}, when a measurement needs its own (a fixed heap). */
  private List<String> gatewayJvmOptions = JVM_OPTIONS;
  private final List<Child> children = new ArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "soak-stop-children");
  private int kafkaPort;
  private int gatewayPort;
  private int workerMetricsPort;
  private Path jar;
  private boolean closed;

  private SoakProcesses(Path runDir) {
    this.runDir = runDir;
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Starts both children and returns once the gateway is ready; stops what it started if that fails. */
  static SoakProcesses start(Path jar) throws Exception {
    return start(jar, false, Map.of());
  }

  /**
   * @param brokerApart the broker in a JVM of its own, so the worker's heap is measured alone (the worker
   *                    child is then named {@value #WORKER_ALONE})
   * @param workerEnv   more settings for the worker, e.g. {@code TOKENRAIL_MEMORY_MAX_CONVERSATIONS}
   */
  static SoakProcesses start(Path jar, boolean brokerApart, Map<String, String> workerEnv) throws Exception {
    return start(jar, brokerApart, workerEnv, JVM_OPTIONS);
  }

  /** @param gatewayJvmOptions the gateway JVM's options (heap, collector) */
  static SoakProcesses start(Path jar, boolean brokerApart, Map<String, String> workerEnv, List<String> gatewayJvmOptions)
      throws Exception {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " not found: build it with ./mvnw -q -o -pl launcher package -DskipTests");
    }
    SoakProcesses processes = new SoakProcesses(Files.createTempDirectory("tokenrail-soak"));
    processes.gatewayJvmOptions = List.copyOf(gatewayJvmOptions);
    try {
      processes.launchAll(jar, brokerApart, workerEnv);
      return processes;
    } catch (Exception e) {
      processes.close();
      throw e;
    }
  }

  private void launchAll(Path jar, boolean brokerApart, Map<String, String> workerEnv) throws Exception {
    kafkaPort = freePort();
    workerMetricsPort = freePort();
    gatewayPort = freePort();
    Map<String, String> worker = new java.util.HashMap<>(Map.of(
        "TOKENRAIL_ROLES", brokerApart ? "worker" : "broker,worker",
        "TOKENRAIL_METRICS_PORT", Integer.toString(workerMetricsPort),
        "TOKENRAIL_DEMO_TOKENS_PER_SECOND", "50",
        "TOKENRAIL_DEMO_TTFT_MS", "200",
        "TOKENRAIL_DRAIN_TIMEOUT_SECONDS", "5"));
    worker.putAll(workerEnv);
    Map<String, String> broker = Map.of(
        "TOKENRAIL_DATA_DIR", runDir.resolve("data").toString(),
        "TOKENRAIL_KAFKA_PORT", Integer.toString(kafkaPort));
    if (brokerApart) {
      Map<String, String> alone = new java.util.HashMap<>(broker);
      alone.put("TOKENRAIL_ROLES", "broker");
      alone.put("TOKENRAIL_METRICS_PORT", Integer.toString(freePort()));
      // The worker sets up topics at start and gives up after 5 s: a broker still starting on a loaded machine
      // made a run fail now and then ("Timed out waiting for a node assignment").
      awaitBroker(launch(BROKER, jar, alone));
      worker.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers());
    } else {
      worker.putAll(broker);
    }
    Child workerChild = launch(brokerApart ? WORKER_ALONE : WORKER, jar, worker);
    awaitOk(workerChild, "http://localhost:" + workerMetricsPort + "/health");
    this.jar = jar;
    Child gateway = launch(GATEWAY, jar, gatewaySettings(gatewayPort, Map.of()));
    awaitOk(gateway, "http://localhost:" + gatewayPort + "/ready");
  }

  private Map<String, String> gatewaySettings(int port, Map<String, String> more) {
    Map<String, String> settings = new java.util.HashMap<>(Map.of(
        "TOKENRAIL_ROLES", "gateway",
        "KAFKA_BOOTSTRAP_SERVERS", bootstrapServers(),
        "PORT", Integer.toString(port),
        "TOKENRAIL_RATE_LIMIT_PER_MINUTE", "0",
        "TOKENRAIL_MAX_STREAMS", "100000",
        "TOKENRAIL_MAX_STREAMS_PER_SUBJECT", "100000",
        // With auth off all callers share one bucket; the soak's 300 "users" must not be limited as one.
        "TOKENRAIL_MAX_LOOKUPS_PER_SUBJECT", "10000"));
    settings.putAll(more);
    return settings;
  }

  /**
   * One more gateway process on the same broker, with settings of its own (a gateway group's partitions, say);
   * returns its port once it is ready.
   */
  int launchGateway(String name, Map<String, String> settings) throws Exception {
    int port = freePort();
    Child gateway = launch(name, jar, gatewaySettings(port, settings));
    awaitOk(gateway, "http://localhost:" + port + "/ready");
    return port;
  }

  private Child launch(String name, Path jar, Map<String, String> settings) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(name.startsWith(GATEWAY) ? gatewayJvmOptions : JVM_OPTIONS);
    command.add("-jar");
    command.add(jar.toString());
    Path log = runDir.resolve(name.replace('+', '-') + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // Nothing of this shell's Tokenrail, Kafka or provider settings leaks in: auth must be off, the broker ours.
    builder.environment().keySet().removeIf(k -> k.startsWith("TOKENRAIL_") || k.startsWith("KAFKA_")
        || k.startsWith("OPENAI_") || k.startsWith("ANTHROPIC_") || k.equals("PORT"));
    builder.environment().putAll(settings);
    Child child = new Child(name, builder.start(), log);
    synchronized (this) {
      children.add(child);
    }
    return child;
  }

  /** Waits until the broker child answers with a node, as a worker's start-up asks it to. */
  private void awaitBroker(Child broker) throws Exception {
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
        "bootstrap.servers", bootstrapServers(), "request.timeout.ms", "2000", "default.api.timeout.ms", "2000"))) {
      awaitReady(broker, bootstrapServers(), () -> !admin.describeCluster().nodes().get().isEmpty());
    }
  }

  private static void awaitOk(Child child, String url) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    awaitReady(child, url, () -> http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
  }

  /** Polls {@code ready} (an exception is "not yet") until it holds; fails if the child exits or the time runs out. */
  private static void awaitReady(Child child, String what, java.util.concurrent.Callable<Boolean> ready) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!child.process().isAlive()) {
        throw new IllegalStateException(child.name() + " exited with " + child.process().exitValue() + " while starting:\n"
            + tail(child.log(), 20));
      }
      try {
        if (ready.call()) {
          Progress.line("%s is up (pid %d): %s", child.name(), child.pid(), what);
          return;
        }
      } catch (IOException | java.util.concurrent.ExecutionException notYet) {
        // not listening yet
      }
      Thread.sleep(500); // waiting for another process to start
    }
    throw new IllegalStateException(child.name() + " not ready after " + START_TIMEOUT.toSeconds() + " s:\n" + tail(child.log(), 20));
  }

  synchronized List<Child> children() {
    return List.copyOf(children);
  }

  Child child(String name) {
    return children().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  int gatewayPort() {
    return gatewayPort;
  }

  int workerMetricsPort() {
    return workerMetricsPort;
  }

  String bootstrapServers() {
    return "localhost:" + kafkaPort;
  }

  Path runDir() {
    return runDir;
  }

  /** A child that exited by itself during the run, described; null while both run. */
  String deadChild() {
    for (Child child : children()) {
      if (!child.process().isAlive()) {
        return child.name() + " (pid " + child.pid() + ") exited with code " + child.process().exitValue()
            + "; last lines of " + child.log() + ":\n" + tail(child.log(), 15);
      }
    }
    return null;
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: it stops them
    }
    deleteData();
  }

  /** The gateway first (its clients go), then the worker and broker: SIGTERM, then SIGKILL after a bound. */
  private synchronized void stopAll() {
    if (closed) {
      return;
    }
    closed = true;
    List<Child> reversed = new ArrayList<>(children);
    java.util.Collections.reverse(reversed);
    for (Child child : reversed) {
      Process p = child.process();
      p.destroy();
      try {
        if (!p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          System.out.printf("%s did not stop within %d s of SIGTERM; killing it%n", child.name(), STOP_TIMEOUT.toSeconds());
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The broker's data is a few hundred MB after a long run and of no use after it; the logs stay. */
  private void deleteData() {
    Path data = runDir.resolve("data");
    if (!Files.exists(data)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(data)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.out.println("could not delete " + data + ": " + e.getMessage());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
