package dev.tokenrail.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsTest {

  private final Topics topics = new Topics("t.");

  @Test
  void topicsThatAgreeGiveTheirOnePartitionCount() {
    assertThat(topics.requireOnePartitionCount(Map.of("t.requests", 12, "t.events", 12, "t.memory", 12,
        "t.conversations", 12, "t.requests.dlq", 1))).as("the dead letters may differ").isEqualTo(12);
  }

  @Test
  void aTopicThatDisagreesOrIsMissingIsRefusedWithTheWholeLayout() {
    assertThatThrownBy(() -> topics.requireOnePartitionCount(Map.of("t.requests", 12, "t.events", 6, "t.memory", 12,
        "t.conversations", 12)))
        .hasMessageContaining("t.requests: 12, t.events: 6, t.memory: 12, t.conversations: 12");
    assertThatThrownBy(() -> topics.requireOnePartitionCount(Map.of("t.requests", 12, "t.events", 12, "t.memory", 12)))
        .hasMessageContaining("t.conversations: 0");
    assertThatThrownBy(() -> topics.requireOnePartitionCount(Map.of())).hasMessageContaining("must exist");
  }
}
