package dev.tokenrail.deploy;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** A Tokenrail role as the manifests deploy it, and what its code says about it. */
enum Role {

  WORKER("worker", "tokenrail-worker", "producer-worker/src/main/java/dev/tokenrail/worker/WorkerMain.java",
      env -> WorkerConfig.fromEnv(env, "localhost:9092"),
      List.of("runtime/src/main/java", "producer-worker/src/main/java")),
  GATEWAY("gateway", "tokenrail-gateway", "sse-gateway/src/main/java/dev/tokenrail/gateway/GatewayMain.java",
      env -> GatewayConfig.fromEnv(env, "localhost:9092"),
      List.of("sse-gateway/src/main/java/dev/tokenrail/gateway/GatewayVerticle.java"));

  /**
   * A path a request handler dispatches on: {@code case "/health" ->}, {@code router.get("/ready")},
   * {@code router.route("/ready")} or {@code path.equals("/ready")}.
   */
  private static final Pattern SERVED_PATH =
      Pattern.compile("(?:\\bcase\\s+|\\.(?:get|route|equals)\\(\\s*)\"(/[^\"]*)\"");

  /** The value of {@code app.kubernetes.io/component} on its objects. */
  final String component;
  final String deployment;
  /** Relative to the repository: the main that starts the role alone, as its image does. */
  final String mainSource;
  final Function<Env, Object> fromEnv;
  /** Relative to the repository: where the role's HTTP paths are dispatched. */
  private final List<String> routeSources;

  Role(String component, String deployment, String mainSource, Function<Env, Object> fromEnv,
       List<String> routeSources) {
    this.component = component;
    this.deployment = deployment;
    this.mainSource = mainSource;
    this.fromEnv = fromEnv;
    this.routeSources = routeSources;
  }

  KafkaSettings kafka(Env env) {
    return this == WORKER ? WorkerConfig.fromEnv(env, "localhost:9092").kafka()
        : GatewayConfig.fromEnv(env, "localhost:9092").kafka();
  }

  /**
   * The one port the role serves: a gateway's {@code PORT}, from its configuration; a worker's metrics port,
   * which {@code WorkerMain} reads itself (not part of {@link WorkerConfig}), with the same default and read.
   */
  int port(Env env) {
    return this == WORKER ? env.intValue("TOKENRAIL_METRICS_PORT", WorkerMain.DEFAULT_METRICS_PORT, 0, 65_535)
        : GatewayConfig.fromEnv(env, "localhost:9092").port();
  }

  /** The paths its HTTP server dispatches on, read from the sources that route them. */
  Set<String> servedPaths(Path repository) {
    Set<String> paths = new TreeSet<>();
    for (String source : routeSources) {
      try (Stream<Path> files = Files.walk(repository.resolve(source))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          Matcher m = SERVED_PATH.matcher(Files.readString(file, StandardCharsets.UTF_8));
          while (m.find()) {
            paths.add(m.group(1));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return paths;
  }
}
