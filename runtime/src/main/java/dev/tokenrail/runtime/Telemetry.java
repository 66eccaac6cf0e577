package dev.tokenrail.runtime;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

/**
 * One Prometheus registry per process for Tokenrail's meters, Vert.x's own (HTTP server, event loops,
 * worker pools) and the Kafka clients' (bound per verticle through a {@link MeterScope}). Every role of a process reports to it; {@code GET /metrics}
 * serves it.
 */
public final class Telemetry {

  private static final PrometheusMeterRegistry REGISTRY = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private Telemetry() {
  }

  public static PrometheusMeterRegistry registry() {
    return REGISTRY;
  }

  /** A Vert.x whose own metrics go to the registry, with JVM metrics (memory, GC, threads) too. */
  public static Vertx vertx() {
    VertxOptions options = new VertxOptions()
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(REGISTRY)).build();
  }

  /**
   * A small HTTP server with {@code /metrics} (Prometheus text), {@code /health} (the process answers) and
   * {@code /ready} (as {@code readiness} says: 503 with the reason until ready), for processes that run no
   * gateway (a worker on its own).
   */
  public static Future<HttpServer> serveMetrics(Vertx vertx, int port, Readiness readiness) {
    return vertx.createHttpServer().requestHandler(request -> {
      switch (request.path()) {
        case "/metrics" -> request.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .end(REGISTRY.scrape());
        case "/health" -> request.response().putHeader("Content-Type", "application/json").end("{\"status\":\"UP\"}");
        case "/ready" -> request.response().setStatusCode(readiness.ready() ? 200 : 503)
            .putHeader("Content-Type", "application/json").end(readiness.body().encode());
        default -> request.response().setStatusCode(404).end();
      }
    }).listen(port);
  }
}
