package dev.tokenrail.runtime;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meters one verticle put in the process's {@link Telemetry#registry()}: its own (gauges, per-instance
 * tagged meters) and its Kafka clients' metrics. Closing it removes them all, so a stopped verticle
 * leaves no gauge reading its dead state and no binder holding its closed client.
 */
public final class MeterScope implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MeterScope.class);

  private final List<Meter> meters = new ArrayList<>();
  private final List<KafkaClientMetrics> kafkaClients = new ArrayList<>();

  /** Reports a Kafka client's own metrics (request latency, lag, throughput) until closed. */
  public void bindKafka(Object nativeClient) {
    KafkaClientMetrics metrics;
    if (nativeClient instanceof Producer<?, ?> p) {
      metrics = new KafkaClientMetrics(p);
    } else if (nativeClient instanceof Consumer<?, ?> c) {
      metrics = new KafkaClientMetrics(c);
    } else {
      throw new IllegalArgumentException("not a Kafka producer or consumer: " + nativeClient);
    }
    metrics.bindTo(Telemetry.registry());
    kafkaClients.add(metrics);
  }

  /** Registers {@code meter} (already in the registry) for removal on close. */
  public <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  @Override
  public void close() {
    meters.forEach(Telemetry.registry()::remove);
    meters.clear();
    for (KafkaClientMetrics k : kafkaClients) {
      try {
        k.close();
      } catch (RuntimeException e) {
        log.debug("Unbinding Kafka client metrics failed: {}", e.toString());
      }
    }
    kafkaClients.clear();
  }
}
