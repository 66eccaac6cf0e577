package dev.tokenrail.worker.model;

import dev.tokenrail.model.ErrorCode;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retries of a model call that failed before its first token: rate limits, unavailable servers,
 * connection failures and request timeouts, with exponential backoff and jitter, a bounded number of
 * times. After the first token nothing is retried — the user has seen part of an answer.
 *
 * @param maxRetries  retries after the first call
 * @param baseMillis  delay before the first retry (doubling each time, then jittered)
 * @param capMillis   largest delay
 */
public record ModelRetry(int maxRetries, long baseMillis, long capMillis) {

  public static final ModelRetry DEFAULT = new ModelRetry(3, 500, 8_000);
  public static final ModelRetry NONE = new ModelRetry(0, 0, 0);

  public static boolean retriable(Throwable error) {
    ErrorCode code = ModelErrors.classify(error).code();
    return code == ErrorCode.RATE_LIMITED || code == ErrorCode.MODEL_UNAVAILABLE || code == ErrorCode.TIMEOUT;
  }

  /** The delay before retry {@code n} (1-based): "equal jitter", half fixed and half random. */
  public long delayMillis(int n) {
    long exponential = Math.min(capMillis, baseMillis << Math.min(20, n - 1));
    return exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
  }
}
