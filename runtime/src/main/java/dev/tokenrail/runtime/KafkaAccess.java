package dev.tokenrail.runtime;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up against a Kafka cluster that may refuse this process: wrong credentials, a certificate it does
 * not trust, ACLs not granted yet. An operator fixes those while the process runs — a rotated secret file, an
 * ACL added — and a process that exited on them would only turn the fault into a restart loop that buries
 * its cause. So the process stays up, not ready: it says why in one log line (again only if the reason
 * changes), and tries again after {@link #FIRST_RETRY}, then half as often each time, up to every
 * {@link #MAX_RETRY} — never a spin. Each attempt reads the settings again, so a credentials file replaced in
 * place (a mounted secret) is picked up without a restart. A broker that does not answer at all, or topics
 * that are wrong, still fail start-up at once, as before.
 */
public final class KafkaAccess {

  private static final Logger log = LoggerFactory.getLogger(KafkaAccess.class);
  static final Duration FIRST_RETRY = Duration.ofSeconds(2);
  static final Duration MAX_RETRY = Duration.ofSeconds(60);

  private KafkaAccess() {
  }

  /**
   * Kafka's own words for a refusal, redacted: an authentication (SASL, TLS) or authorization (ACL) error, or
   * a login that failed before any broker was asked (an OAUTHBEARER token endpoint refusing the client's
   * secret). A TLS refusal's deepest cause is kept too: "SSL handshake failed" alone does not say why.
   */
  static Optional<String> refusal(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof AuthenticationException || t instanceof AuthorizationException
          || t instanceof javax.security.auth.login.LoginException) {
        String said = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        if (root != t && root.getMessage() != null && !said.contains(root.getMessage())) {
          said += " (" + root.getMessage() + ")";
        }
        return Optional.of(Redaction.redact(said));
      }
    }
    return Optional.empty();
  }

  /**
   * Reads the settings and sets up the topics ({@link TopicSetup#ensureTopics}) until Kafka accepts this
   * process; returns the settings it accepted. Blocking: call it from {@code main}.
   *
   * @param readSettings reads the process's settings (again for every attempt)
   * @param onRefused    run once, at the first refusal, before waiting (a gateway opens its port to say so)
   */
  public static <S> S awaitTopics(String process, Supplier<S> readSettings, Function<S, KafkaSettings> kafkaOf,
      Readiness readiness, Runnable onRefused) throws InterruptedException {
    // Kafka's client would log each attempt's refusal too; this class's one line says it (restored after).
    KafkaClientLogs.quiet(true);
    try {
      return attemptUntilAccepted(process, readSettings, kafkaOf, readiness, onRefused);
    } finally {
      KafkaClientLogs.quiet(false);
    }
  }

  private static <S> S attemptUntilAccepted(String process, Supplier<S> readSettings, Function<S, KafkaSettings> kafkaOf,
      Readiness readiness, Runnable onRefused) throws InterruptedException {
    Duration wait = FIRST_RETRY;
    String lastReason = null;
    for (int attempt = 1; ; attempt++) {
      S settings = readSettings.get();
      KafkaSettings kafka = kafkaOf.apply(settings);
      try {
        TopicSetup.ensureTopics(kafka);
        if (lastReason != null) {
          log.info("{}: Kafka at {} accepts this process now, after {} attempts", process, kafka.bootstrapServers(),
              attempt);
        }
        return settings;
      } catch (RuntimeException e) {
        Optional<String> refusal = refusal(e);
        if (refusal.isEmpty()) {
          throw e;
        }
        String reason = refusal.get();
        readiness.markNotReady(new JsonObject()
            .put("reason", "Kafka refuses this process: " + reason)
            .put("attempts", attempt)
            .put("nextAttemptInSeconds", wait.toSeconds()));
        if (lastReason == null) {
          onRefused.run();
        }
        if (!reason.equals(lastReason)) {
          log.error("{}: Kafka at {} refuses this process: {}. Not ready; trying again in {} s, then less often (up to"
              + " every {} s), reading the settings again each time", process, kafka.bootstrapServers(), reason,
              wait.toSeconds(), MAX_RETRY.toSeconds());
        } else {
          log.debug("{}: Kafka still refuses this process (attempt {}): {}", process, attempt, reason);
        }
        lastReason = reason;
        Thread.sleep(wait.toMillis());
        wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
      }
    }
  }
}
