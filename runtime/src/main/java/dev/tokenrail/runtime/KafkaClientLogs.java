package dev.tokenrail.runtime;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * While a process sets up its topics and Kafka may refuse it ({@link KafkaAccess}), Kafka's client would add
 * its own ERROR line to every attempt ("Connection to node -1 … failed authentication due to …", and the
 * admin client's metadata warning) — the reason the one line of {@code KafkaAccess} (or start-up's failure
 * line) says, again and again. Those two loggers are silenced for the set-up and restored after it: at run
 * time they say what they always said.
 */
final class KafkaClientLogs {

  private static final List<String> REPEATING = List.of("org.apache.kafka.clients.NetworkClient",
      "org.apache.kafka.clients.admin.internals.AdminMetadataManager");

  private KafkaClientLogs() {
  }

  static synchronized void quiet(boolean quiet) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding (a library user's): its configuration is its own
    }
    for (String name : REPEATING) {
      Logger logger = context.getLogger(name);
      logger.setLevel(quiet ? Level.OFF : null); // null: inherit again, as configured
    }
  }
}
