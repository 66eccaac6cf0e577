package dev.tokenrail.worker.model;

import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * langchain4j's HTTP client for streaming model calls, over {@code java.net.http}, that keeps what the
 * provider says about when to try again: an error answer becomes a {@link ProviderHttpException} with
 * its {@code Retry-After}, which langchain4j's own JDK client drops; and a call can be aborted before its
 * first token ({@link ModelCall}). Everything else — the SSE parsing and with it cancellation through the
 * parser's handle — is langchain4j's. Blocking calls go to langchain4j's JDK client unchanged.
 */
public final class ProviderHttpClient implements HttpClient {

  private final java.net.http.HttpClient jdk;
  private final Duration readTimeout;
  private final HttpClient blocking;

  private ProviderHttpClient(Duration connectTimeout, Duration readTimeout) {
    java.net.http.HttpClient.Builder b = java.net.http.HttpClient.newBuilder();
    if (connectTimeout != null) {
      b.connectTimeout(connectTimeout);
    }
    this.jdk = b.build();
    this.readTimeout = readTimeout;
    this.blocking = JdkHttpClient.builder().connectTimeout(connectTimeout).readTimeout(readTimeout).build();
  }

  public static HttpClientBuilder builder() {
    return new Builder();
  }

  @Override
  public SuccessfulHttpResponse execute(HttpRequest request) {
    return blocking.execute(request);
  }

  @Override
  public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
    java.util.concurrent.CompletableFuture<HttpResponse<InputStream>> sent =
        jdk.sendAsync(toJdk(request), HttpResponse.BodyHandlers.ofInputStream());
    java.util.concurrent.atomic.AtomicReference<InputStream> streaming = new java.util.concurrent.atomic.AtomicReference<>();
    // A cancel before the first token: cancelling the exchange aborts the request (JDK 16+), closing the
    // body ends a response already streaming — either way the provider sees the connection go.
    ModelCall.onAbort(() -> {
      sent.cancel(true);
      closeQuietly(streaming.get());
    });
    sent.thenAccept(response -> {
          streaming.set(response.body());
          if (response.statusCode() < 200 || response.statusCode() >= 300) {
            listener.onError(new ProviderHttpException(response.statusCode(), readBody(response.body()),
                retryAfter(response.headers().firstValue("Retry-After"))));
            return;
          }
          listener.onOpen(SuccessfulHttpResponse.builder()
              .statusCode(response.statusCode()).headers(response.headers().map()).build());
          try (InputStream body = response.body()) {
            parser.parse(body, listener);
            listener.onClose();
          } catch (IOException e) {
            listener.onError(e);
          }
        })
        .exceptionally(t -> {
          listener.onError(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t);
          return null;
        });
  }

  private java.net.http.HttpRequest toJdk(HttpRequest request) {
    java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(URI.create(request.url()));
    request.headers().forEach((name, values) -> values.forEach(v -> b.header(name, v)));
    if (readTimeout != null) {
      b.timeout(readTimeout); // until the response starts; a stalled stream is the worker's idle timeout
    }
    String body = request.body();
    return b.method(request.method().name(), body == null
        ? java.net.http.HttpRequest.BodyPublishers.noBody()
        : java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
  }

  /** {@code Retry-After}: delay-seconds or an HTTP date (RFC 9110). */
  static Optional<Duration> retryAfter(Optional<String> header) {
    if (header.isEmpty()) {
      return Optional.empty();
    }
    String value = header.get().trim();
    try {
      return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value))));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (RuntimeException notADate) {
        return Optional.empty();
      }
    }
  }

  private static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // closing is all that was wanted
      }
    }
  }

  private static String readBody(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static final class Builder implements HttpClientBuilder {
    private Duration connectTimeout;
    private Duration readTimeout;

    @Override
    public Duration connectTimeout() {
      return connectTimeout;
    }

    @Override
    public HttpClientBuilder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout;
      return this;
    }

    @Override
    public Duration readTimeout() {
      return readTimeout;
    }

    @Override
    public HttpClientBuilder readTimeout(Duration timeout) {
      this.readTimeout = timeout;
      return this;
    }

    @Override
    public HttpClient build() {
      return new ProviderHttpClient(connectTimeout, readTimeout);
    }
  }
}
