package dev.tokenrail.gateway.delivery;

import dev.tokenrail.runtime.Env;
import java.time.Duration;

/**
 * How a gateway delivers streams.
 *
 * @param keepAlive          interval of the {@code : ping} comment on every SSE stream
 * @param sseWriteQueueBytes bytes a stream may queue in the gateway before it counts as behind and is
 *                           continued from the log instead: the memory bound of a stalled client
 * @param catchUpReaders     consumers that serve resumes and replays
 * @param replayClockSkew    how far before a message's acceptance time a replay looks for its first event
 *                           (the worker's clock stamps the events, the gateway's the message id)
 * @param recentEventsPerPartition  latest events of each partition whose owner the gateway remembers, so a
 *                           resume from one asks Kafka nothing (20 bytes each); 0 checks every resume in the log
 */
public record DeliverySettings(Duration keepAlive, int sseWriteQueueBytes, int catchUpReaders, Duration replayClockSkew,
                               int recentEventsPerPartition) {

  /** A quarter of Vert.x's default: the kernel's socket buffer takes bursts, the log takes the rest. */
  public static final int DEFAULT_SSE_WRITE_QUEUE_BYTES = 16 * 1024;
  /** At 10,000 events a second on a partition, the last 1.6 s; on a quieter one, minutes. */
  public static final int DEFAULT_RECENT_EVENTS_PER_PARTITION = 16_384;
  public static final DeliverySettings DEFAULT = new DeliverySettings(Duration.ofSeconds(15),
      DEFAULT_SSE_WRITE_QUEUE_BYTES, 2, Duration.ofSeconds(5), DEFAULT_RECENT_EVENTS_PER_PARTITION);

  /**
   * {@code TOKENRAIL_SSE_KEEPALIVE_SECONDS}, {@code TOKENRAIL_SSE_WRITE_QUEUE_BYTES},
   * {@code TOKENRAIL_CATCHUP_READERS}, {@code TOKENRAIL_REPLAY_CLOCK_SKEW_MS},
   * {@code TOKENRAIL_RECENT_EVENTS_PER_PARTITION}.
   */
  public static DeliverySettings fromEnv(Env env) {
    return new DeliverySettings(
        Duration.ofSeconds(env.intValue("TOKENRAIL_SSE_KEEPALIVE_SECONDS", 15, 1, 3_600)),
        env.intValue("TOKENRAIL_SSE_WRITE_QUEUE_BYTES", DEFAULT_SSE_WRITE_QUEUE_BYTES, 1_024, 16 * 1024 * 1024),
        env.intValue("TOKENRAIL_CATCHUP_READERS", 2, 1, 64),
        Duration.ofMillis(env.intValue("TOKENRAIL_REPLAY_CLOCK_SKEW_MS", 5_000, 0, 600_000)),
        env.intValue("TOKENRAIL_RECENT_EVENTS_PER_PARTITION", DEFAULT_RECENT_EVENTS_PER_PARTITION, 0, 16 * 1024 * 1024));
  }

  public DeliverySettings withKeepAlive(Duration interval) {
    return new DeliverySettings(interval, sseWriteQueueBytes, catchUpReaders, replayClockSkew, recentEventsPerPartition);
  }

  public DeliverySettings withSseWriteQueueBytes(int bytes) {
    return new DeliverySettings(keepAlive, bytes, catchUpReaders, replayClockSkew, recentEventsPerPartition);
  }

  public DeliverySettings withRecentEventsPerPartition(int events) {
    return new DeliverySettings(keepAlive, sseWriteQueueBytes, catchUpReaders, replayClockSkew, events);
  }
}
