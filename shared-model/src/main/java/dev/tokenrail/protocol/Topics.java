package dev.tokenrail.protocol;

/**
 * The names of Tokenrail's topics, which share one prefix (default {@code tokenrail.}).
 *
 * @param prefix prepended to every topic name; lets several deployments or test classes share a cluster
 */
public record Topics(String prefix) {

  public static final String DEFAULT_PREFIX = "tokenrail.";

  /** Chat requests, keyed by conversation; consumed by the worker group. */
  public String requests() {
    return prefix + "requests";
  }

  /** Request records that are not protocol v1, copied here with the reason they were skipped. */
  public String deadLetters() {
    return prefix + "requests.dlq";
  }

  /** Stream events, keyed by conversation; read in full by every gateway. */
  public String events() {
    return prefix + "events";
  }

  /**
   * Compacted: conversations' transcripts, one record per turn (a user message and its answer), keyed
   * {@code <conversation key>/<message id>} and written to the conversation's partition number. Its
   * partition count equals the requests topic's, so whoever owns requests partition p owns memory partition p.
   */
  public String memory() {
    return prefix + "memory";
  }

  /** Compacted: when each conversation started, keyed by conversation; read in full by every gateway. */
  public String conversations() {
    return prefix + "conversations";
  }

  /** Every topic, as {@link TopicSetup} creates them. */
  public java.util.List<String> all() {
    return java.util.List.of(requests(), events(), conversations(), memory(), deadLetters());
  }
}
