package dev.tokenrail.worker.model;

import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.ContentFilteredException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.TimeoutException;
import dev.tokenrail.protocol.ErrorCode;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;

/**
 * Maps a model failure to the stable error code and a message that is safe to show users. Provider error
 * texts never reach clients: they can echo request content or credentials.
 */
public final class ModelErrors {

  public record Classified(ErrorCode code, String message) {
  }

  private ModelErrors() {
  }

  /** The provider refused the key or doesn't know the model: only an operator can fix that, not a retry. */
  public static boolean isConfigurationError(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof AuthenticationException || t instanceof ModelNotFoundException) {
        return true;
      }
      if (t instanceof HttpException http && (http.statusCode() == 401 || http.statusCode() == 403)) {
        return true;
      }
    }
    return false;
  }

  public static Classified classify(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof RateLimitException) {
        return new Classified(ErrorCode.RATE_LIMITED, "The model provider is rate limiting requests. Try again shortly.");
      }
      if (t instanceof TimeoutException || t instanceof HttpTimeoutException
          || t instanceof java.util.concurrent.TimeoutException) {
        return new Classified(ErrorCode.TIMEOUT, "The model did not answer in time.");
      }
      if (t instanceof InvalidRequestException || t instanceof ContentFilteredException) {
        return new Classified(ErrorCode.INVALID_REQUEST, "The model provider rejected this request.");
      }
      if (t instanceof AuthenticationException || t instanceof ModelNotFoundException || t instanceof ConnectException) {
        return new Classified(ErrorCode.MODEL_UNAVAILABLE, "The model is not available right now.");
      }
      if (t instanceof HttpException http) {
        int status = http.statusCode();
        if (status == 429) {
          return new Classified(ErrorCode.RATE_LIMITED, "The model provider is rate limiting requests. Try again shortly.");
        }
        if (status == 408 || status == 504) {
          return new Classified(ErrorCode.TIMEOUT, "The model did not answer in time.");
        }
        if (status >= 400 && status < 500 && status != 401 && status != 403 && status != 404) {
          return new Classified(ErrorCode.INVALID_REQUEST, "The model provider rejected this request.");
        }
        return new Classified(ErrorCode.MODEL_UNAVAILABLE, "The model is not available right now.");
      }
    }
    return new Classified(ErrorCode.INTERNAL, "The answer failed because of an internal error.");
  }
}
