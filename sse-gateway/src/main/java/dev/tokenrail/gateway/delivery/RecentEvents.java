package dev.tokenrail.gateway.delivery;

/**
 * Whose each of the latest events of every partition is, and when it was written,
 * as live delivery read them: a client reconnecting with the {@code Last-Event-ID} of an event it just got
 * is checked here, with no question to Kafka — so lookups others make, forged ones included, never stand
 * between a client and its resume. Older positions are checked in the log. Each partition's ring is made on
 * its first event: 22 bytes an event kept, whatever the traffic. For a record this gateway decoded (a client
 * followed its conversation) it also knows how many events the record holds, so a resume between two tokens of a
 * run ({@code Last-Event-ID} with a part) is checked without a read too. Confined to the gateway's context.
 */
final class RecentEvents {

  /**
   * An event live delivery read: its key's {@code String.hashCode()}, its Kafka timestamp, and how many events the
   * record holds (a run of tokens is several) — 0 when this gateway did not decode it.
   */
  record Seen(int keyHash, long timestamp, int events) {
  }

  private final long[][] offsets;
  private final int[][] keyHashes;
  private final long[][] timestamps;
  private final short[][] events;

  private final int perPartition;

  /** @param perPartition events remembered per partition; 0 remembers none */
  RecentEvents(int partitions, int perPartition) {
    this.perPartition = perPartition;
    offsets = new long[partitions][];
    keyHashes = new int[partitions][];
    timestamps = new long[partitions][];
    events = new short[partitions][];
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
      events[partition] = new short[perPartition];
    }
    int slot = (int) (offset % perPartition);
    offsets[partition][slot] = offset;
    keyHashes[partition][slot] = key == null ? 0 : key.hashCode();
    timestamps[partition][slot] = timestamp;
    events[partition][slot] = 0;
  }

  /** The record at {@code offset}, if still remembered, holds {@code count} events (it was decoded). */
  void decoded(int partition, long offset, int count) {
    if (perPartition == 0 || offsets[partition] == null) {
      return;
    }
    int slot = (int) (offset % perPartition);
    if (offsets[partition][slot] == offset) {
      events[partition][slot] = (short) Math.min(count, Short.MAX_VALUE);
    }
  }

  /** The event at {@code offset} of {@code partition} if it is among the latest read; else null. */
  Seen seen(int partition, long offset) {
    if (partition < 0 || partition >= offsets.length || offsets[partition] == null || offset < 0) {
      return null;
    }
    int slot = (int) (offset % perPartition);
    return offsets[partition][slot] == offset ? new Seen(keyHashes[partition][slot], timestamps[partition][slot], events[partition][slot]) : null;
  }
}
