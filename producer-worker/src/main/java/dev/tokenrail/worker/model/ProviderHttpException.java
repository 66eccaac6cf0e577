package dev.tokenrail.worker.model;

import dev.langchain4j.exception.HttpException;
import java.time.Duration;
import java.util.Optional;

/** A provider's non-2xx answer, with what its {@code Retry-After} header asked for, if anything. */
public final class ProviderHttpException extends HttpException {

  private final transient Optional<Duration> retryAfter;

  public ProviderHttpException(int statusCode, String body, Optional<Duration> retryAfter) {
    super(statusCode, body);
    this.retryAfter = retryAfter;
  }

  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  /** The {@code Retry-After} found anywhere in {@code error}'s causes (langchain4j wraps provider errors). */
  public static Optional<Duration> retryAfterOf(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ProviderHttpException p) {
        return p.retryAfter();
      }
    }
    return Optional.empty();
  }
}
