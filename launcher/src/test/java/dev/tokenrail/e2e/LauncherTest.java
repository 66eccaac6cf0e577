package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrail.launcher.Launcher;
import dev.tokenrail.runtime.Env;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The launcher's own start-up, as {@code java -jar launcher/target/tokenrail.jar} runs it. */
@ExtendWith(SharedKafka.class)
class LauncherTest {

  @Test
  void withAnExternalClusterItStartsNoBrokerAndServesTheRolesAskedFor() throws Exception {
    Map<String, String> env = Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", SharedKafka.bootstrapServers(),
        "TOKENRAIL_ROLES", "worker,gateway",
        "TOKENRAIL_TOPIC_PREFIX", "l" + UUID.randomUUID().toString().substring(0, 8) + ".",
        "TOKENRAIL_PARTITIONS", "3",
        "PORT", "0",
        "TOKENRAIL_DEMO_TOKENS_PER_SECOND", "1000");
    try (Launcher.Running running = Launcher.start(new Env(env))) {
      assertThat(running.broker()).isEmpty();
      assertThat(running.bootstrapServers()).isEqualTo(SharedKafka.bootstrapServers());
      String base = "http://localhost:" + running.gatewayPort().orElseThrow();
      try (SseClient client = SseClient.connect(base + "/api/conversations/launched/events")) {
        String messageId = Http.postMessage(base, "launched", "#tokens=12 through the launcher");
        List<SseClient.Event> events = client.awaitTerminal(Duration.ofSeconds(60));
        assertCompleteAnswer(events, "launched", messageId, 3);
        assertThat(Answers.tokenCount(events, messageId)).isEqualTo(12);
      }
    }
  }

  @Test
  void anUnknownRoleStopsStartUpWithAMessageNamingTheVariable() {
    assertThatThrownBy(() -> Launcher.start(new Env(Map.of("TOKENRAIL_ROLES", "broker,dancer"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TOKENRAIL_ROLES")
        .hasMessageContaining("dancer");
  }
}
