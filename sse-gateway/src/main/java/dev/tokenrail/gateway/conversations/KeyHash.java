package dev.tokenrail.gateway.conversations;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * A conversation's key as 64 bits, so the gateway's indexes hold a {@code long} per conversation instead of
 * its key (a string of up to a few hundred bytes with the subject): the first 64 bits of SHA-256 over a
 * random per-process salt and the key. Salted, so nobody can make up a key that shares another's hash (each
 * gateway builds its own indexes, so gateways need not agree); 64 bits, so that two of ten million
 * conversations share one by chance about three times in a million. Each index says what that would cost.
 */
final class KeyHash {

  private static final byte[] SALT = new SecureRandom().generateSeed(16);
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  private KeyHash() {
  }

  static long of(String kafkaKey) {
    MessageDigest sha = SHA_256.get();
    sha.update(SALT);
    byte[] digest = sha.digest(kafkaKey.getBytes(StandardCharsets.UTF_8));
    long hash = 0;
    for (int i = 0; i < 8; i++) {
      hash = hash << 8 | (digest[i] & 0xff);
    }
    return hash;
  }
}
