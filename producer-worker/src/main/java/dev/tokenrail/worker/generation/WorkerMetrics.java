package dev.tokenrail.worker.generation;

import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What a worker counts: tokens out, answers by outcome, time to first token, tool calls. All of it is
 * counted by {@link Generation}, so it lives here; the verticle makes one and hands it over in
 * {@link GenerationSettings}.
 */
public final class WorkerMetrics {

  private final MeterRegistry registry = Telemetry.registry();
  private final Counter tokensPublished = Counter.builder("tokenrail.tokens.published")
      .description("token events published to the events topic").register(registry);
  private final Timer timeToFirstToken = Timer.builder("tokenrail.time.to.first.token")
      .description("from the gateway accepting a message to its first token event being published")
      .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2))
      .register(registry);

  void tokenPublished() {
    tokensPublished.increment();
  }

  void firstToken(long acceptedAtMillis) {
    timeToFirstToken.record(Math.max(0, System.currentTimeMillis() - acceptedAtMillis), TimeUnit.MILLISECONDS);
  }

  /** {@code outcome}: {@code done}, {@code error}, {@code cancelled} or {@code abandoned}. */
  void generationEnded(String outcome) {
    Counter.builder("tokenrail.generations").description("generations ended, by outcome").tag("outcome", outcome)
        .register(registry).increment();
  }

  void toolCalled(String tool, boolean failed) {
    Counter.builder("tokenrail.tool.calls").description("tool calls run, by tool and outcome")
        .tag("tool", tool).tag("outcome", failed ? "error" : "ok").register(registry).increment();
  }
}
