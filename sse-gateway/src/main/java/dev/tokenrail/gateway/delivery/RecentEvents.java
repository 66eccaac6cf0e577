package dev.tokenrail.gateway.delivery;

/**
 * Whose each of the latest events of every partition is, and when it was written,
 * as live delivery read them: a client reconnecting with the {@code Last-Event-ID} of an event it just got
 * is checked here, with no question to Kafka — so lookups others make, forged ones included, never stand
 * between a client and its resume. Older positions are checked in the log. Each partition's ring is made on
 * its first event: 20 bytes an event kept, whatever the traffic. Confined to the gateway's context.
 */
final class RecentEvents {

  /** An event live delivery read: its key's {@code String.hashCode()} and its Kafka timestamp. */
  record Seen(int keyHash, long timestamp) {
  }

  private final long[][] offsets;
  private final int[][] keyHashes;
  private final long[][] timestamps;

  private final int perPartition;

  /** @param perPartition events remembered per partition; 0 remembers none */
  RecentEvents(int partitions, int perPartition) {
    this.perPartition = perPartition;
    offsets = new long[partitions][];
    keyHashes = new int[partitions][];
    timestamps = new long[partitions][];
  }

  void add(int partition, long offset, String key, long timestamp) {
    if (perPartition == 0) {
      return;
    }
    if (offsets[partition] == null) {
      offsets[partition] = new long[perPartition];
      java.util.Arrays.fill(offsets[partition], -1);
      keyHashes[partition] = new int[perPartition];
      timestamps[partition] = new long[perPartition];
    }
    int slot = (int) (offset % perPartition);
    offsets[partition][slot] = offset;
    keyHashes[partition][slot] = key == null ? 0 : key.hashCode();
    timestamps[partition][slot] = timestamp;
  }

  /** The event at {@code offset} of {@code partition} if it is among the latest read; else null. */
  Seen seen(int partition, long offset) {
    if (partition < 0 || partition >= offsets.length || offsets[partition] == null || offset < 0) {
      return null;
    }
    int slot = (int) (offset % perPartition);
    return offsets[partition][slot] == offset ? new Seen(keyHashes[partition][slot], timestamps[partition][slot]) : null;
  }
}
