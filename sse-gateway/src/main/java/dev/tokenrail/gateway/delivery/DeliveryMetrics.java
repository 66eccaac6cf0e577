package dev.tokenrail.gateway.delivery;

import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** What a gateway counts of delivery: tokens out to clients and how late, open streams, clients that fell behind. */
public final class DeliveryMetrics {

  private final MeterRegistry registry = Telemetry.registry();
  private final String gateway;
  private final MeterScope scope;
  private final Counter relayed;
  private final Counter fallbacks;
  private final Timer tokenLatency;

  /** Every meter is tagged with {@code gateway} and belongs to {@code scope}: gone when the gateway stops. */
  public DeliveryMetrics(String gateway, MeterScope scope) {
    this.gateway = gateway;
    this.scope = scope;
    this.relayed = Counter.builder("tokenrail.tokens.relayed").description("token events written to SSE clients")
        .tag("gateway", gateway).register(registry);
    scope.add(relayed);
    this.fallbacks = Counter.builder("tokenrail.sse.slow.client.fallbacks")
        .description("streams whose socket filled up, continued from the log once drained")
        .tag("gateway", gateway).register(registry);
    scope.add(fallbacks);
    this.tokenLatency = Timer.builder("tokenrail.token.latency")
        .description("from a token event's ts (the worker created it) to its write to an SSE client")
        .tag("gateway", gateway)
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
    scope.add(tokenLatency);
  }

  /** Gauges read on scrape: open streams and how far the events reader is behind the topic's end. */
  void gauges(Supplier<Number> openStreams, Supplier<Number> readerLag) {
    scope.add(Gauge.builder("tokenrail.sse.connections", openStreams).description("open SSE streams")
        .tag("gateway", gateway).register(registry));
    scope.add(Gauge.builder("tokenrail.events.reader.lag", readerLag)
        .description("records of the events topic not yet read by the gateway's live reader (sampled every 5 s)")
        .tag("gateway", gateway).register(registry));
  }

  void tokenRelayed(long eventTs) {
    relayed.increment();
    tokenLatency.record(Math.max(0, System.currentTimeMillis() - eventTs), TimeUnit.MILLISECONDS);
  }

  void slowClientFallback() {
    fallbacks.increment();
  }
}
