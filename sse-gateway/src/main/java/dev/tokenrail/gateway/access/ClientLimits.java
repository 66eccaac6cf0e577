package dev.tokenrail.gateway.access;

import dev.tokenrail.runtime.Env;

/**
 * How much one caller, and all callers together, may ask of a gateway. The per-subject limits apply to
 * authenticated callers: with authentication off there is no subject, and remote addresses behind a load
 * balancer are the balancer's, so only the gateway-wide cap holds.
 *
 * @param messagesPerMinute    messages (POSTs) a subject may send per minute, as a token bucket of that
 *                             size refilled over a minute; 0 turns the limit off
 * @param maxStreamsPerSubject open SSE streams per subject on one gateway (browser tabs, devices)
 * @param maxStreams           open SSE streams on one gateway: its memory and file-descriptor bound
 * @param maxLookupsPerSubject lookups in the log (replays from a message, resumes, cancels) a subject may
 *                             have running at once on one gateway; callers without a subject (authentication
 *                             off) share eight times as many
 */
public record ClientLimits(int messagesPerMinute, int maxStreamsPerSubject, int maxStreams, int maxLookupsPerSubject) {

  public static final int DEFAULT_MAX_LOOKUPS_PER_SUBJECT = 8;
  /** Generous enough for people, tight enough that one token can't take a gateway's connections. */
  public static final ClientLimits DEFAULT = new ClientLimits(60, 20, 20_000, DEFAULT_MAX_LOOKUPS_PER_SUBJECT);
  /** For benchmarks and tests that load one gateway from one subject. */
  public static final ClientLimits UNLIMITED =
      new ClientLimits(0, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE / 8);

  public ClientLimits {
    if (messagesPerMinute < 0 || maxStreamsPerSubject < 1 || maxStreams < 1 || maxLookupsPerSubject < 1) {
      throw new IllegalArgumentException("limits must be positive (a zero message rate turns that limit off)");
    }
  }

  public ClientLimits(int messagesPerMinute, int maxStreamsPerSubject, int maxStreams) {
    this(messagesPerMinute, maxStreamsPerSubject, maxStreams, DEFAULT_MAX_LOOKUPS_PER_SUBJECT);
  }

  /**
   * {@code TOKENRAIL_RATE_LIMIT_PER_MINUTE}, {@code TOKENRAIL_MAX_STREAMS_PER_SUBJECT}, {@code TOKENRAIL_MAX_STREAMS},
   * {@code TOKENRAIL_MAX_LOOKUPS_PER_SUBJECT}.
   */
  public static ClientLimits fromEnv(Env env) {
    return new ClientLimits(
        env.intValue("TOKENRAIL_RATE_LIMIT_PER_MINUTE", DEFAULT.messagesPerMinute(), 0, 1_000_000),
        env.intValue("TOKENRAIL_MAX_STREAMS_PER_SUBJECT", DEFAULT.maxStreamsPerSubject(), 1, 1_000_000),
        env.intValue("TOKENRAIL_MAX_STREAMS", DEFAULT.maxStreams(), 1, 10_000_000),
        env.intValue("TOKENRAIL_MAX_LOOKUPS_PER_SUBJECT", DEFAULT.maxLookupsPerSubject(), 1, 10_000));
  }
}
