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

  /** Every topic, as the runtime's {@code TopicSetup} creates them. */
  public java.util.List<String> all() {
    return java.util.List.of(requests(), events(), conversations(), memory(), deadLetters());
  }

  /**
   * The topics that keep a conversation in the same partition number — a gateway computes the partition
   * once and reads it in each, a worker owns requests partition p and memory partition p — so they must
   * have one partition count.
   */
  public java.util.List<String> partitioned() {
    return java.util.List.of(requests(), events(), memory(), conversations());
  }

  /**
   * Refuses a layout whose {@link #partitioned} topics disagree on their partition count, or where one of
   * them is missing (no partitions), naming each topic's count.
   *
   * @param counts partitions per topic name, as the cluster reports them
   * @return the one partition count
   */
  public int requireOnePartitionCount(java.util.Map<String, Integer> counts) {
    java.util.Set<Integer> distinct = new java.util.TreeSet<>();
    StringBuilder layout = new StringBuilder();
    for (String topic : partitioned()) {
      int n = counts.getOrDefault(topic, 0);
      distinct.add(n);
      layout.append(layout.length() == 0 ? "" : ", ").append(topic).append(": ").append(n);
    }
    if (distinct.size() != 1 || distinct.contains(0)) {
      throw new IllegalStateException("topics must exist and have one partition count (a conversation lives in the"
          + " same partition of each); found " + layout);
    }
    return distinct.iterator().next();
  }
}
