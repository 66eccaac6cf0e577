package dev.tokenrail.runtime;

import java.util.OptionalInt;

/**
 * Whether a process creates Tokenrail's topics or only checks them, and how they are replicated.
 *
 * @param create             true: missing topics are created at start; false: topics a platform team owns are
 *                           only checked, and a process refuses to start naming what is wrong
 * @param replicationFactor  replicas of a topic Tokenrail creates; empty: 3 on a cluster of three brokers or
 *                           more, else 1
 * @param minInsyncReplicas  {@code min.insync.replicas} of a topic Tokenrail creates; empty: 2 on a cluster of
 *                           three brokers or more, else 1 — with {@code acks=all}, a write is acknowledged once
 *                           that many replicas have it
 * @param minReplication     the least replication every topic must have, created or found
 */
public record TopicPolicy(boolean create, OptionalInt replicationFactor, OptionalInt minInsyncReplicas,
                          int minReplication) {

  public static final TopicPolicy DEFAULT = new TopicPolicy(true, OptionalInt.empty(), OptionalInt.empty(), 1);

  public TopicPolicy {
    if (minReplication < 1) {
      throw new IllegalArgumentException("TOKENRAIL_MIN_REPLICATION must be at least 1");
    }
  }

  /**
   * {@code TOKENRAIL_CREATE_TOPICS} ({@code true}), {@code TOKENRAIL_REPLICATION_FACTOR},
   * {@code TOKENRAIL_MIN_INSYNC_REPLICAS}, {@code TOKENRAIL_MIN_REPLICATION} (1).
   */
  public static TopicPolicy fromEnv(Env env) {
    String create = env.string("TOKENRAIL_CREATE_TOPICS", "true").trim();
    if (!create.equals("true") && !create.equals("false")) {
      throw new IllegalArgumentException("TOKENRAIL_CREATE_TOPICS must be true or false, not '" + create + "'");
    }
    return new TopicPolicy(create.equals("true"), optionalInt(env, "TOKENRAIL_REPLICATION_FACTOR"),
        optionalInt(env, "TOKENRAIL_MIN_INSYNC_REPLICAS"), env.intValue("TOKENRAIL_MIN_REPLICATION", 1, 1, 32));
  }

  private static OptionalInt optionalInt(Env env, String name) {
    return env.optional(name).isPresent() ? OptionalInt.of(env.intValue(name, 1, 1, 32)) : OptionalInt.empty();
  }

  /** The replication factor of a topic created on a cluster of {@code brokers}. */
  int replicationFor(int brokers) {
    return replicationFactor.orElse(brokers >= 3 ? 3 : 1);
  }

  /** The {@code min.insync.replicas} of a topic created on a cluster of {@code brokers}. */
  int minInsyncFor(int brokers) {
    return minInsyncReplicas.orElse(brokers >= 3 ? 2 : 1);
  }
}
