package dev.tokenrail.worker.model;

import dev.tokenrail.protocol.ErrorCode;
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
    if (ModelErrors.isConfigurationError(error)) { // a refused key or an unknown model stays so
      return false;
    }
    ErrorCode code = ModelErrors.classify(error).code();
    return code == ErrorCode.RATE_LIMITED || code == ErrorCode.MODEL_UNAVAILABLE || code == ErrorCode.TIMEOUT;
  }

  /** The longest {@code Retry-After} that is waited for; a provider asking for more gets an error now. */
  public static final long MAX_RETRY_AFTER_MILLIS = 60_000;

  /**
   * The delay before retry {@code n} (1-based): "equal jitter", half fixed and half random — or what the
   * provider's {@code Retry-After} asked, if that is longer. Empty when it asked for more than a minute.
   */
  public java.util.OptionalLong delayMillis(int n, Throwable error) {
    long exponential = Math.min(capMillis, baseMillis << Math.min(20, n - 1));
    long jittered = exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
    long asked = ProviderHttpException.retryAfterOf(error).map(java.time.Duration::toMillis).orElse(0L);
    return asked > MAX_RETRY_AFTER_MILLIS ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(Math.max(jittered, asked));
  }
}
