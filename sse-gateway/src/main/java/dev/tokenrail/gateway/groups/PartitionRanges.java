package dev.tokenrail.gateway.groups;

import java.util.BitSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A set of partition numbers written as ranges, the way an operator writes them: {@code 0-5}, {@code 6-11},
 * {@code 0-2,7,9-10}. Immutable.
 */
public final class PartitionRanges {

  private static final Pattern PART = Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?");
  /** Far above any partition count a topic of conversations needs; bounds what a typo can allocate. */
  static final int MAX_PARTITION = 9_999;

  private final BitSet partitions;

  private PartitionRanges(BitSet partitions) {
    this.partitions = partitions;
  }

  /**
   * Reads {@code 0-5}, {@code 6-11,14}: comma-separated partitions and inclusive ranges.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static PartitionRanges parse(String text) {
    BitSet set = new BitSet();
    for (String part : text.split(",", -1)) {
      Matcher m = PART.matcher(part.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("'" + text + "' is not a list of partition ranges like 0-5 or 0-5,8");
      }
      int from = Integer.parseInt(m.group(1));
      int to = m.group(2) == null ? from : Integer.parseInt(m.group(2));
      if (to < from || to > MAX_PARTITION) {
        throw new IllegalArgumentException("'" + part.trim() + "' in '" + text + "' is not a range of partitions from low to high");
      }
      set.set(from, to + 1);
    }
    return new PartitionRanges(set);
  }

  public boolean contains(int partition) {
    return partition >= 0 && partitions.get(partition);
  }

  public boolean intersects(PartitionRanges other) {
    return partitions.intersects(other.partitions);
  }

  /** The highest partition named. */
  public int highest() {
    return partitions.length() - 1;
  }

  public int size() {
    return partitions.cardinality();
  }

  /** The partitions named, ascending. */
  public int[] toArray() {
    return partitions.stream().toArray();
  }

  /** The shortest ranges form: {@code 0-5,8}. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder();
    for (int from = partitions.nextSetBit(0); from >= 0; ) {
      int to = partitions.nextClearBit(from) - 1;
      text.append(text.isEmpty() ? "" : ",").append(from).append(from == to ? "" : "-" + to);
      from = partitions.nextSetBit(to + 1);
    }
    return text.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PartitionRanges other && partitions.equals(other.partitions);
  }

  @Override
  public int hashCode() {
    return partitions.hashCode();
  }
}
