package dev.tokenrail.gateway.conversations;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * A conversation's key as 64 bits, so the gateway's indexes hold a {@code long} per conversation instead of
 * its key (a string of up to a few hundred bytes with the subject). Two independent 32-bit hashes side by
 * side: Java's string hash and Kafka's murmur2 of the key's bytes. Two conversations that share all 64
 * bits are not told apart by an index — among ten million conversations the chance that any two do is
 * about three in a million; each index says what it would cost.
 */
final class KeyHash {

  private KeyHash() {
  }

  static long of(String kafkaKey) {
    return ((long) kafkaKey.hashCode() << 32) | (Utils.murmur2(kafkaKey.getBytes(StandardCharsets.UTF_8)) & 0xffffffffL);
  }
}
