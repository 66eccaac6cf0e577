package dev.tokenrail.protocol;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Which partition holds a conversation. This is what Kafka's default partitioner does for a keyed record
 * (murmur2 of the serialized key), so a gateway can tell, without reading, where a conversation lives —
 * and reject a client position that points anywhere else.
 */
public final class Partitioning {

  private Partitioning() {
  }

  public static int partitionOf(String kafkaKey, int partitionCount) {
    byte[] keyBytes = kafkaKey.getBytes(StandardCharsets.UTF_8);
    return Utils.toPositive(Utils.murmur2(keyBytes)) % partitionCount;
  }
}
