package dev.tokenrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.gateway.groups.GroupSettings;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.runtime.Env;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nginx router's script ({@code docker/nginx/tokenrail-route.js}) computes the partition of a request's
 * conversation the way the gateways do, or its requests are redirected: it is run here, as an ES module under Node
 * (njs is a subset of the same JavaScript), on requests of every API, and its answers held against Kafka's own
 * partitioner and the gateway's key, event id and routes parsing.
 */
class NginxRouterScriptTest {

  private static final int PARTITIONS = 48; // above 36, so that a partition's base-36 digits are letters and "10" is 36
  private static final String SUBJECT = "alice@example.com";

  @TempDir
  Path dir;

  @Test
  void everyRequestNamingAConversationGetsTheGatewaysPartition() throws Exception {
    List<JsonObject> requests = new ArrayList<>();
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String id = "conv-" + i;
      int scoped = Partitioning.partitionOf(ConversationIds.kafkaKey(SUBJECT, id), PARTITIONS);
      int unscoped = Partitioning.partitionOf(ConversationIds.kafkaKey(id), PARTITIONS);
      // Authentication on: the key includes the token's subject, from the header (any case of "Bearer") or the query.
      requests.add(request("GET", "/api/conversations/" + id + "/events", Map.of("Authorization", "Bearer " + jwt()), null, true));
      expected.add(scoped);
      requests.add(request("GET", "/api/conversations/" + id + "/events", Map.of(), null, true)
          .put("args", new JsonObject().put("access_token", jwt())));
      expected.add(scoped);
      requests.add(request("POST", "/api/chat/" + id + "/stop", Map.of("Authorization", "bearer " + jwt()), null, true));
      expected.add(scoped);
      // Authentication off: the id is the key.
      requests.add(request("DELETE", "/api/conversations/" + id, Map.of(), null, false));
      expected.add(unscoped);
      // Named in the body, as each route reads it.
      requests.add(request("POST", "/api/chat", Map.of(), new JsonObject().put("id", id).put("messages", new JsonArray()), false));
      expected.add(unscoped);
      requests.add(request("POST", "/v1/chat/completions", Map.of("X-Conversation-Id", "not-this-one"),
          new JsonObject().put("conversation_id", id), false));
      expected.add(unscoped);
      requests.add(request("POST", "/v1/chat/completions", Map.of("X-Conversation-Id", id), new JsonObject(), false));
      expected.add(unscoped);
      String responseId = "resp_" + ConversationIds.newMessageId().replace("-", "") + id;
      requests.add(request("GET", "/v1/responses/" + responseId + "/input_items", Map.of(), null, false));
      expected.add(unscoped);
      requests.add(request("POST", "/v1/responses", Map.of(), new JsonObject().put("previous_response_id", responseId), false));
      expected.add(unscoped);
      // Only a position: Last-Event-ID carries the partition, in base 36.
      int partition = i % PARTITIONS + 8;
      requests.add(request("GET", "/v1/chat/completions", Map.of("Last-Event-ID",
          new EventId(partition, 1_000_000L * i + 35).encode()), null, false));
      expected.add(partition);
      // A token inside a run of tokens stored in one record: its id names its part as well.
      requests.add(request("GET", "/v1/chat/completions", Map.of("Last-Event-ID",
          new EventId(partition, 36L * i, i % 36).encode()), null, false));
      expected.add(partition);
    }
    // Naming none: any group.
    requests.add(request("POST", "/v1/chat/completions", Map.of(), new JsonObject().put("messages", new JsonArray()), false));
    expected.add(-1);
    requests.add(request("GET", "/health", Map.of(), null, false));
    expected.add(-1);

    JsonObject answers = runScript(new JsonObject().put("requests", new JsonArray(requests)));
    assertThat(answers.getJsonArray("partitions").getList()).isEqualTo(expected);
  }

  @Test
  void groupsAreReadAsTheGatewaysReadTheirRoutes() throws Exception {
    String text = "0-2,9=@group_a,3-8,10-11=@group_b";
    GroupSettings gateways = GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_PARTITIONS", "0-2,9",
        "TOKENRAIL_GATEWAY_ROUTES", text.replace("@group_a", "/a").replace("@group_b", "/b"))));
    JsonObject answers = runScript(new JsonObject().put("groups", text).put("upTo", 12));
    List<String> expected = new ArrayList<>();
    for (int p = 0; p < 12; p++) {
      expected.add(gateways.routeTo(p).orElseThrow().equals("/a") ? "@group_a" : "@group_b");
    }
    assertThat(answers.getJsonArray("owners").getList()).isEqualTo(expected);
  }

  private static JsonObject request(String method, String uri, Map<String, String> headers, JsonObject body,
                                    boolean subjectKeys) {
    return new JsonObject().put("method", method).put("uri", uri).put("headersIn", new JsonObject(new java.util.HashMap<>(headers)))
        .put("args", new JsonObject()).put("requestText", body == null ? null : body.encode())
        .put("variables", new JsonObject().put("tokenrail_subject_keys", subjectKeys ? "on" : "off"));
  }

  /** A token as a client sends it; the router reads its subject and never its signature (the gateway checks that). */
  private static String jwt() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(new JsonObject().put("sub", SUBJECT).encode().getBytes(StandardCharsets.UTF_8)) + ".c2ln";
  }

  /** Runs the script under Node with {@code input}; the driver answers what the script computes for it. */
  private JsonObject runScript(JsonObject input) throws IOException, InterruptedException {
    Files.copy(repositoryRoot().resolve("docker/nginx/tokenrail-route.js"), dir.resolve("route.mjs"));
    Files.writeString(dir.resolve("input.json"), input.encode());
    Files.writeString(dir.resolve("driver.mjs"), """
        import router from './route.mjs';
        import fs from 'fs';
        const input = JSON.parse(fs.readFileSync(new URL('./input.json', import.meta.url)));
        const out = {};
        if (input.requests) {
          out.partitions = input.requests.map(r => router.partitionOf(r, %d));
        }
        if (input.groups) {
          const all = router.groups(input.groups);
          out.owners = [...Array(input.upTo).keys()].map(p => router.owner(all, p).location);
        }
        console.log(JSON.stringify(out));
        """.formatted(PARTITIONS));
    Process node = new ProcessBuilder("node", dir.resolve("driver.mjs").toString()).redirectErrorStream(true).start();
    String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(node.exitValue()).as(output).isZero();
    return new JsonObject(output.trim());
  }

  private static Path repositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    return Files.exists(here.resolve("mvnw")) ? here : here.getParent();
  }
}
