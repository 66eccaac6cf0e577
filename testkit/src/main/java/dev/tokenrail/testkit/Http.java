package dev.tokenrail.testkit;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Small blocking HTTP calls for tests, over the JDK's client. */
public final class Http {

  public record Response(int status, String contentType, String body, java.net.http.HttpHeaders headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    /** The named response header, or null. */
    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Http() {
  }

  public static Response postJson(String url, String body) {
    return postJson(url, body, null);
  }

  /** A POST of a JSON body, with {@code Authorization: Bearer token} unless the token is null. */
  public static Response postJson(String url, String body, String token) {
    return send(withBearer(HttpRequest.newBuilder(URI.create(url)), token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** Posts a message as the token's subject; the response as it came (202 when accepted). */
  public static Response postMessage(String baseUrl, String conversationId, String text, String token) {
    return postJson(baseUrl + "/api/conversations/" + conversationId + "/messages",
        new JsonObject().put("text", text).encode(), token);
  }

  public static String postMessage(String baseUrl, String conversationId, String text) {
    Response r = postJson(baseUrl + "/api/conversations/" + conversationId + "/messages",
        new JsonObject().put("text", text).encode());
    if (r.status() != 202) {
      throw new IllegalStateException("POST got " + r.status() + ": " + r.body());
    }
    return r.json().getString("messageId");
  }

  public static Response get(String url) {
    return get(url, null);
  }

  /** A GET with {@code Authorization: Bearer token} unless the token is null. */
  public static Response get(String url, String token) {
    return send(withBearer(HttpRequest.newBuilder(URI.create(url)), token).GET().build());
  }

  /** The {@code Authorization} header of a bearer token, for clients that take headers as a map. */
  public static java.util.Map<String, String> bearer(String token) {
    return java.util.Map.of("Authorization", "Bearer " + token);
  }

  private static HttpRequest.Builder withBearer(HttpRequest.Builder request, String token) {
    return token == null ? request : request.header("Authorization", "Bearer " + token);
  }

  public static Response send(HttpRequest request) {
    try {
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r.headers());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
