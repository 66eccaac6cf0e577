package dev.tokenrail.testkit;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A plain SSE client over the JDK's HTTP client, independent of the code under test. {@link #connect}
 * returns once the response headers arrived, i.e. once the gateway has registered the subscription.
 */
public final class SseClient implements AutoCloseable {

  public record Event(String id, String type, JsonObject data, long receivedAtMillis) {
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<String> comments = new CopyOnWriteArrayList<>();
  private final List<String> retries = new CopyOnWriteArrayList<>();
  private final HttpResponse<InputStream> response;
  private final InputStream body;
  private final Thread reader;
  private volatile boolean ended;

  private SseClient(HttpResponse<InputStream> response, InputStream body) {
    this.response = response;
    this.body = body;
    this.reader = new Thread(this::readFrames, "sse-client");
    this.reader.setDaemon(true);
    this.reader.start();
  }

  /** Reads SSE frames from an already open body, e.g. a {@link StalledSseSocket} once it reads again. */
  public static SseClient reading(InputStream body) {
    return new SseClient(null, body);
  }

  public static SseClient connect(String url) {
    return connect(url, Map.of());
  }

  /** Connects with extra request headers, such as {@code Last-Event-ID}. */
  public static SseClient connect(String url, Map<String, String> headers) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET();
      headers.forEach(request::header);
      HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        throw new IllegalStateException("SSE connect got " + response.statusCode() + ": " + body);
      }
      return new SseClient(response, response.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpResponse<InputStream> response() {
    return response;
  }

  public List<Event> events() {
    return List.copyOf(events);
  }

  public List<String> comments() {
    return List.copyOf(comments);
  }

  /** The {@code retry:} hints received. */
  public List<String> retries() {
    return List.copyOf(retries);
  }

  /** The id of the last event received that had one: what a browser would send as Last-Event-ID. */
  public String lastEventId() {
    List<Event> all = events();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).id() != null) {
        return all.get(i).id();
      }
    }
    return null;
  }

  /** Waits until the stream holds an event matching {@code until}, then returns everything received. */
  public List<Event> awaitEvent(Predicate<Event> until, Duration atMost) {
    await().atMost(atMost).until(() -> events.stream().anyMatch(until));
    return events();
  }

  public List<Event> awaitTerminal(Duration atMost) {
    return awaitEvent(e -> List.of("done", "error", "cancelled").contains(e.type()), atMost);
  }

  private void readFrames() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String id = null;
      String type = "message";
      List<String> data = new ArrayList<>();
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          if (!data.isEmpty()) {
            events.add(new Event(id, type, new JsonObject(String.join("\n", data)), System.currentTimeMillis()));
          }
          id = null;
          type = "message";
          data.clear();
        } else if (line.startsWith(":")) {
          comments.add(line.substring(1).trim());
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("retry:")) {
          retries.add(line.substring(6).trim());
        } else if (line.startsWith("data:")) {
          data.add(line.substring(5).stripLeading());
        }
      }
    } catch (IOException e) {
      // closed by the test or by the server
    } finally {
      ended = true;
    }
  }

  /** True once the stream has ended (the server closed it, or the connection broke). */
  public boolean ended() {
    return ended;
  }

  @Override
  public void close() {
    try {
      body.close();
    } catch (IOException ignored) {
      // already closed
    }
    reader.interrupt();
  }
}
