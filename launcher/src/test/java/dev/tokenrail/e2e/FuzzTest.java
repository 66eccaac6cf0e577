package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.gateway.access.ClientLimits;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 1,000 random and mutated requests — methods, paths, ids, headers, tokens, {@code Last-Event-ID}s and
 * bodies — written as raw bytes to a gateway with authentication on. Every one gets an answer below 500
 * within the socket timeout (no hung connection), exactly the messages it accepted are in Kafka, and
 * afterwards the gateway still answers a message end to end.
 *
 * <p>The seed is fixed so a failure reproduces; {@code -Dfuzz.seed=N} explores others.
 */
@ExtendWith(SharedKafka.class)
class FuzzTest {

  private static final int REQUESTS = 1_000;
  private static final int TIMEOUT_MS = 15_000;
  private static final String[] METHODS = {"GET", "POST", "POST", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH",
      "TRACE", "CONNECT", "G\u00c9T", "POST /x"};
  private static final String[] ROUTES = {"/api/conversations/%s/messages", "/api/conversations/%s/messages",
      "/api/conversations/%s/events", "/api/conversations/%s/cancel", "/api/conversations/%s", "/v1/chat/completions",
      "/v1/models", "/", "/health", "/ready", "/metrics", "/api/%s", "/%s"};
  private static TokenrailStack stack;
  private static int port;
  private static TestTokens tokens;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(ModelSettings.demo(2_000, 0), 0);
    GatewayVerticle gateway = TokenrailStack.startGateway(stack.vertx(), TokenrailStack.gatewayConfig(stack.kafka())
        .withAuth(TestTokens.SETTINGS).withLimits(new ClientLimits(100_000, 10_000, 10_000)));
    port = gateway.actualPort();
    tokens = new TestTokens(stack.vertx());
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void randomAndMutatedRequestsNeverGet5xxNorHangAndTheGatewayStillServes() throws Exception {
    long seed = Long.getLong("fuzz.seed", 20261125L);
    Random random = new Random(seed);
    String token = tokens.forSubject("fuzzer");
    Map<Integer, Integer> statuses = new TreeMap<>();
    int accepted = 0;
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      byte[] request = randomRequest(random, token);
      String statusLine = exchange(request);
      if (statusLine == null || !statusLine.matches("HTTP/1\\.[01] [1-4]\\d\\d.*")) {
        failures.add("#" + i + " got " + (statusLine == null ? "no answer" : statusLine) + " for:\n"
            + new String(request, 0, Math.min(request.length, 600), StandardCharsets.ISO_8859_1));
        continue;
      }
      int status = Integer.parseInt(statusLine.substring(9, 12));
      statuses.merge(status, 1, Integer::sum);
      String head = new String(request, 0, Math.min(request.length, 200), StandardCharsets.ISO_8859_1);
      // A message is stored for a 202 to a message POST, and for a 200 to a completion POST (a completion
      // with Last-Event-ID resumes instead, and needs a conversation id the fuzzer never sends: 400).
      if (status == 202 && head.matches("(?s)POST /api/conversations/[^/ ?]+/messages[ ?].*")
          || status == 200 && head.matches("(?s)POST /v1/chat/completions[ ?].*")) {
        accepted++;
      }
    }
    System.out.printf("fuzz seed %d: statuses %s, %d messages accepted%n", seed, statuses, accepted);
    assertThat(failures).as("requests answered with 5xx, garbage or not at all (seed %d)", seed).isEmpty();
    assertThat(statuses.keySet()).as("a mix that reached the handlers").contains(202, 400, 401, 404);

    long storedMessages = TopicContents.readAll(stack.kafka().bootstrapServers(), stack.kafka().topics().requests())
        .stream().filter(r -> ProtocolCodec.decodeRequest(Buffer.buffer(r.value())) instanceof dev.tokenrail.protocol.MessageRequest)
        .count();
    assertThat(storedMessages).as("exactly the accepted messages are in Kafka").isEqualTo(accepted);

    // Still serving: a message streams to its end, whole and in order.
    String base = "http://localhost:" + port;
    try (SseClient client = SseClient.connect(base + "/api/conversations/after-fuzz/events",
        Map.of("Authorization", "Bearer " + token))) {
      String messageId = postWithToken(base, token);
      List<SseClient.Event> events = client.awaitTerminal(Duration.ofSeconds(60));
      Answers.assertCompleteAnswer(events, "after-fuzz", dev.tokenrail.protocol.ConversationIds.kafkaKey("fuzzer", "after-fuzz"),
          messageId, TokenrailStack.PARTITIONS);
    }
  }

  // ---- the generator ----

  /**
   * Two in five requests are a valid message, cancel or stream request with one part made random, so the
   * handlers behind authentication, routing and content types are reached; the rest are random throughout.
   */
  private static byte[] randomRequest(Random random, String token) {
    boolean nearValid = random.nextInt(5) < 2;
    int broken = nearValid ? random.nextInt(6) : -1; // which part of a near-valid request is random
    String validRoute = pick(random, new String[] {"messages", "messages", "messages", "cancel", "events", "completions"});
    String method = broken != 0 && nearValid ? (validRoute.equals("events") ? "GET" : "POST")
        : random.nextInt(10) < 8 ? pick(random, METHODS) : randomToken(random, 1 + random.nextInt(12));
    String target = broken != 1 && nearValid
        ? (validRoute.equals("completions") ? "/v1/chat/completions"
            : "/api/conversations/fuzz-" + random.nextInt(5) + "/" + validRoute)
        : randomTarget(random);
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put("Host", "localhost");
    int auth = broken != 2 && nearValid ? 0 : random.nextInt(10);
    if (auth < 6) {
      headers.put("Authorization", "Bearer " + token);
    } else if (auth < 8) {
      headers.put("Authorization", mutate(random, "Bearer " + token));
    }
    if (broken != 3 && nearValid) {
      headers.put("Content-Type", "application/json");
    } else if (random.nextInt(10) < 7) {
      headers.put("Content-Type", pick(random, new String[] {"application/json", "application/json; charset=utf-8",
          "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonx"}));
    }
    if (random.nextInt(4) == 0) {
      headers.put("Last-Event-ID", randomEventId(random));
    }
    if (random.nextInt(6) == 0) {
      headers.put("traceparent", mutate(random, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    }
    if (random.nextInt(8) == 0) {
      headers.put("Origin", pick(random, new String[] {"https://evil.example", "null", "http://localhost:1"}));
    }
    for (int h = random.nextInt(4); h > 0; h--) {
      headers.put(randomToken(random, 1 + random.nextInt(20)), randomHeaderValue(random));
    }
    if (random.nextInt(40) == 0) {
      headers.put("X-Big", "b".repeat(4_000 + random.nextInt(8_000))); // past the header limit, sometimes
    }
    byte[] body = broken != 4 && nearValid && method.equals("POST")
        ? (switch (validRoute) {
          case "cancel" -> new JsonObject().put("messageId", "m-" + randomToken(random, 20));
          case "completions" -> new JsonObject().put("model", "demo").put("stream", random.nextBoolean())
              .put("messages", new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user")
                  .put("content", "#tokens=" + random.nextInt(30) + " " + randomString(random, 1 + random.nextInt(100)))));
          default -> new JsonObject().put("text", randomString(random, 1 + random.nextInt(300)));
        }).encode().getBytes(StandardCharsets.UTF_8)
        : method.startsWith("POST") || random.nextInt(10) == 0 ? randomBody(random) : new byte[0];
    boolean chunked = body.length > 0 && random.nextInt(8) == 0;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append(chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + body.length + "\r\n");
    head.append("Connection: close\r\n\r\n");
    out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
    if (chunked) {
      out.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(body);
      out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    } else {
      out.writeBytes(body);
    }
    return out.toByteArray();
  }

  private static String randomTarget(Random random) {
    int kind = random.nextInt(20);
    if (kind == 0) { // raw garbage, escaped just enough to stay one request line
      return "/" + URLEncoder.encode(randomString(random, random.nextInt(200)), StandardCharsets.UTF_8);
    }
    if (kind == 1) {
      return "/" + "a".repeat(random.nextInt(6_000)); // past the URL limit, sometimes
    }
    if (kind == 2) {
      return pick(random, new String[] {"*", "http://localhost/health", "/../../etc/passwd", "/%2e%2e/%2e%2e/",
          "/api/conversations/%00/events", "//", "/api/conversations//messages", "/?" + "q=".repeat(50)});
    }
    String path = String.format(pick(random, ROUTES), randomConversationId(random));
    if (random.nextInt(6) == 0) {
      path += "?" + pick(random, new String[] {"access_token=" + randomToken(random, 30), "after=" + randomToken(random, 8),
          "x=%ZZ", "a=1&a=2", "access_token="});
    }
    return path;
  }

  private static String randomConversationId(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> "";
      case 1 -> "x".repeat(60 + random.nextInt(10)); // around the 64-character limit
      case 2 -> URLEncoder.encode(randomString(random, 1 + random.nextInt(20)), StandardCharsets.UTF_8);
      case 3 -> "..%2F..%2Fsecret";
      case 4 -> "fuzz-" + random.nextInt(5) + "%20";
      default -> "fuzz-" + random.nextInt(5);
    };
  }

  private static String randomEventId(Random random) {
    String valid = new EventId(random.nextInt(12), random.nextInt(1_000)).encode();
    return switch (random.nextInt(6)) {
      case 0 -> valid;
      case 1 -> "1." + Integer.toString(random.nextInt(1_000_000), 36) + "." + Long.toString(Long.MAX_VALUE, 36);
      case 2 -> "-1.-5.zz";
      case 3 -> "9".repeat(40);
      default -> mutate(random, valid);
    };
  }

  private static byte[] randomBody(Random random) {
    String valid = switch (random.nextInt(4)) {
      case 0 -> new JsonObject().put("text", randomString(random, random.nextInt(300))).encode();
      case 1 -> new JsonObject().put("messageId", "m-" + randomToken(random, 20)).encode();
      case 2 -> new JsonObject().put("model", "demo").put("stream", random.nextBoolean()).put("max_tokens", 20)
          .put("messages", new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user")
              .put("content", randomString(random, 40)))).encode();
      default -> "{\"text\":\"hello\"}";
    };
    return switch (random.nextInt(10)) {
      case 0 -> "[".repeat(2_000 + random.nextInt(20_000)).getBytes(StandardCharsets.US_ASCII); // deep nesting
      case 1 -> randomBytes(random, random.nextInt(2_000));
      case 2 -> new JsonObject().put("text", "t".repeat(70_000 + random.nextInt(200_000))).encode()
          .getBytes(StandardCharsets.UTF_8); // past the text and body limits
      case 3 -> "{\"text\": \"\\ud800\", \"n\": 1e999999}".getBytes(StandardCharsets.UTF_8);
      case 4 -> new byte[0];
      case 5, 6 -> mutate(random, valid).getBytes(StandardCharsets.UTF_8);
      default -> valid.getBytes(StandardCharsets.UTF_8);
    };
  }

  /** Flips, drops, duplicates or inserts a few characters. */
  private static String mutate(Random random, String input) {
    StringBuilder s = new StringBuilder(input);
    for (int n = 1 + random.nextInt(4); n > 0 && s.length() > 0; n--) {
      int at = random.nextInt(s.length());
      switch (random.nextInt(4)) {
        case 0 -> s.setCharAt(at, (char) (33 + random.nextInt(94)));
        case 1 -> s.deleteCharAt(at);
        case 2 -> s.insert(at, s.charAt(at));
        default -> s.insert(at, pick(random, new String[] {"\"", "{", "}", "\\", ",", "null", "%", "\u00e9", "\ud83d\ude00"}));
      }
    }
    return s.toString();
  }

  private static String randomString(Random random, int length) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      int kind = random.nextInt(10);
      s.appendCodePoint(kind < 6 ? 32 + random.nextInt(95) : kind < 8 ? random.nextInt(32) : 0x80 + random.nextInt(0x2FF80));
    }
    return s.toString();
  }

  private static String randomToken(Random random, int length) {
    String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append(chars.charAt(random.nextInt(chars.length())));
    }
    return s.toString();
  }

  /** Visible ASCII and spaces: a header value that keeps the request's framing. */
  private static String randomHeaderValue(Random random) {
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(100); i > 0; i--) {
      s.append((char) (32 + random.nextInt(95)));
    }
    return s.toString();
  }

  private static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static String pick(Random random, String[] options) {
    return options[random.nextInt(options.length)];
  }

  // ---- the wire ----

  /** Writes the request and reads the status line; null if none came before the timeout or the close. */
  private static String exchange(byte[] request) throws IOException {
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException closedWhileWriting) {
        // The gateway may answer (413, 431) and close before it has read a large request: read that answer.
      }
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      return in.readLine();
    } catch (SocketTimeoutException hung) {
      return null;
    } catch (java.net.SocketException reset) {
      return null;
    }
  }

  private static String postWithToken(String base, String token) {
    Http.Response r = Http.postMessage(base, "after-fuzz", "#tokens=30 still here", token);
    assertThat(r.status()).isEqualTo(202);
    return r.json().getString("messageId");
  }
}
