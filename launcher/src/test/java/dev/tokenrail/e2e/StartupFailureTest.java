package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayMain;
import dev.tokenrail.launcher.Launcher;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.Startup;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerMain;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A process that cannot start says why in one line and exits non-zero at once: a port in use (a second
 * worker on the same host), a bad setting, topics that disagree. Each runnable jar's {@code main} is run
 * in a JVM of its own, as a user runs it.
 */
@ExtendWith(SharedKafka.class)
class StartupFailureTest {

  /** Far more than any of these needs; a process still running then is one that lingers. */
  private static final long CEILING_SECONDS = 50;

  @Test
  void aWorkerWhoseMetricsPortIsTakenSaysWhichAndExits() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      Exit exit = run(WorkerMain.class, Map.of("TOKENRAIL_METRICS_PORT", Integer.toString(taken.getLocalPort())));
      assertThat(exit.code()).as(exit.output()).isEqualTo(1);
      assertThat(exit.errorLines()).as(exit.output()).containsExactly(
          "producer-worker cannot start: metrics (TOKENRAIL_METRICS_PORT) port " + taken.getLocalPort()
              + " is in use (Address already in use)");
      assertThat(exit.output()).as("no event loop was blocked on the way out").doesNotContain("has been blocked");
    }
  }

  @Test
  void aGatewayWhosePortIsTakenSaysWhichAndExits() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      Exit exit = run(GatewayMain.class, Map.of("PORT", Integer.toString(taken.getLocalPort())));
      assertThat(exit.code()).as(exit.output()).isEqualTo(1);
      assertThat(exit.errorLines()).as(exit.output()).containsExactly(
          "sse-gateway cannot start: HTTP (PORT) port " + taken.getLocalPort() + " is in use (Address already in use)");
      assertThat(exit.output()).doesNotContain("has been blocked");
    }
  }

  @Test
  void aBadSettingIsNamed() throws Exception {
    Exit exit = run(WorkerMain.class, Map.of("TOKENRAIL_MAX_CONCURRENT_GENERATIONS", "lots"));
    assertThat(exit.code()).as(exit.output()).isEqualTo(1);
    assertThat(exit.errorLines()).containsExactly(
        "producer-worker cannot start: TOKENRAIL_MAX_CONCURRENT_GENERATIONS must be an integer, got 'lots'");
  }

  @Test
  void aProcessThatMayNotCreateTopicsRefusesToStartWithoutThemNamingEach() throws Exception {
    Exit exit = run(WorkerMain.class, Map.of("TOKENRAIL_CREATE_TOPICS", "false"));
    assertThat(exit.code()).as(exit.output()).isEqualTo(1);
    assertThat(exit.errorLines()).as(exit.output()).singleElement().asString()
        .startsWith("producer-worker cannot start: Kafka topics on ")
        .contains("TOKENRAIL_CREATE_TOPICS=false", "requests does not exist", "events does not exist",
            "memory does not exist", "conversations does not exist");
  }

  @Test
  void workersAndGatewaysRefuseTopicsThatDisagreeOnTheirPartitionCount() throws Exception {
    KafkaSettings kafka = TokenrailStack.freshTopics();
    try (Admin admin = Admin.create(new HashMap<String, Object>(kafka.adminConfig()))) {
      admin.createTopics(List.of(new NewTopic(kafka.topics().events(), 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    assertThatThrownBy(() -> TopicSetup.ensureTopics(kafka)) // creates the others, with the usual count, and says so
        .hasMessageContaining("partition counts differ");
    Topics t = kafka.topics();
    String layout = t.requests() + ": 6, " + t.events() + ": 2, " + t.memory() + ": 6, " + t.conversations() + ": 6";
    Vertx vertx = Vertx.vertx();
    try {
      assertThatThrownBy(() -> Startup.await(Launcher.deploy(vertx,
              Optional.of(WorkerConfig.of(kafka, ModelSettings.demo(100, 0), 10)), List.of())))
          .hasMessageContaining("one partition count").hasMessageContaining(layout);
      assertThatThrownBy(() -> Startup.await(Launcher.deploy(vertx, Optional.empty(),
              List.of(GatewayConfig.defaults(kafka, 0)))))
          .hasMessageContaining("one partition count").hasMessageContaining(layout);
    } finally {
      TokenrailStack.await(vertx.close());
    }
  }

  private record Exit(int code, String output) {
    List<String> errorLines() {
      return output.lines().filter(l -> l.contains(" ERROR ")).map(l -> l.substring(l.indexOf(" - ") + 3)).toList();
    }
  }

  /** Runs {@code main} in a new JVM with this test's classpath, against the shared broker and fresh topics. */
  private static Exit run(Class<?> main, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main.getName()).redirectErrorStream(true);
    process.environment().put("KAFKA_BOOTSTRAP_SERVERS", SharedKafka.bootstrapServers());
    process.environment().put("TOKENRAIL_TOPIC_PREFIX", "s" + UUID.randomUUID().toString().substring(0, 8) + ".");
    process.environment().put("TOKENRAIL_PARTITIONS", "2");
    process.environment().put("PORT", "0");
    process.environment().put("TOKENRAIL_METRICS_PORT", "0");
    process.environment().putAll(env);
    long started = System.nanoTime();
    Process p = process.start();
    StringBuilder output = new StringBuilder();
    Thread reader = new Thread(() -> {
      try {
        output.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException ignored) {
        // the process ended
      }
    });
    reader.start();
    boolean exited = p.waitFor(CEILING_SECONDS, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly().waitFor();
    }
    reader.join();
    assertThat(exited).as("%s exited (it was still running after %d s): %s", main.getSimpleName(), CEILING_SECONDS,
        output).isTrue();
    System.out.printf("%s exited with %d after %d ms%n", main.getSimpleName(), p.exitValue(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return new Exit(p.exitValue(), output.toString());
  }
}
