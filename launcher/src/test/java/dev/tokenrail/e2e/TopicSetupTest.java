package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicPolicy;
import dev.tokenrail.runtime.TopicSetup;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Topics a platform team owns ({@code TOKENRAIL_CREATE_TOPICS=false}) are checked, never created, and a
 * process whose topics are not as Tokenrail needs them refuses to start naming each problem; topics
 * Tokenrail creates get the replication the cluster allows (one broker here: 1 and {@code min.insync.replicas} 1).
 */
@ExtendWith(SharedKafka.class)
class TopicSetupTest {

  private static final TopicPolicy CHECK_ONLY = new TopicPolicy(false, OptionalInt.empty(), OptionalInt.empty(), 1);

  @Test
  void checkingOnlyCreatesNothingAndNamesEveryMissingTopic() throws Exception {
    KafkaSettings kafka = TokenrailStack.freshTopics().withTopicPolicy(CHECK_ONLY);
    assertThatThrownBy(() -> TopicSetup.ensureTopics(kafka))
        .hasMessageContaining("TOKENRAIL_CREATE_TOPICS=false")
        .hasMessageContainingAll(kafka.topics().all().stream().map(t -> "topic " + t + " does not exist").toArray(String[]::new));
    try (Admin admin = admin(kafka)) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContainAnyElementsOf(kafka.topics().all());
    }
  }

  @Test
  void createdTopicsAreCompactedWhereTheyMustBeAndReplicatedAsTheClusterAllowsThenPassTheCheck() throws Exception {
    KafkaSettings kafka = TokenrailStack.freshTopics();
    TopicSetup.ensureTopics(kafka);
    Topics t = kafka.topics();
    try (Admin admin = admin(kafka)) {
      Map<ConfigResource, Config> configs = admin.describeConfigs(t.all().stream()
          .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList()).all().get(30, TimeUnit.SECONDS);
      configs.forEach((resource, config) -> {
        assertThat(config.get("min.insync.replicas").value()).as(resource.name()).isEqualTo("1");
        boolean compacted = resource.name().equals(t.memory()) || resource.name().equals(t.conversations());
        assertThat(config.get("cleanup.policy").value()).as(resource.name()).isEqualTo(compacted ? "compact" : "delete");
      });
      admin.describeTopics(t.all()).allTopicNames().get(30, TimeUnit.SECONDS).values().forEach(d ->
          assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(1)));
    }
    TopicSetup.ensureTopics(kafka.withTopicPolicy(CHECK_ONLY)); // as a platform team's topics: all as needed
  }

  @Test
  void aTopicThatIsNotCompactedOrNotReplicatedEnoughIsNamed() throws Exception {
    KafkaSettings kafka = TokenrailStack.freshTopics();
    Topics t = kafka.topics();
    try (Admin admin = admin(kafka)) { // a platform team's memory topic, made without compaction
      admin.createTopics(List.of(new NewTopic(t.memory(), kafka.partitions(), (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    assertThatThrownBy(() -> TopicSetup.ensureTopics(kafka)) // creates the others, then checks them all
        .hasMessageContaining("topic " + t.memory() + " is not compacted (cleanup.policy=delete")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(t.conversations() + " is not compacted"));
    assertThatThrownBy(() -> TopicSetup.ensureTopics(kafka.withTopicPolicy(
            new TopicPolicy(false, OptionalInt.empty(), OptionalInt.empty(), 2))))
        .hasMessageContaining("topic " + t.events() + " has 1 replica (TOKENRAIL_MIN_REPLICATION is 2)");
  }

  private static Admin admin(KafkaSettings kafka) {
    return Admin.create(new HashMap<String, Object>(kafka.adminConfig()));
  }
}
