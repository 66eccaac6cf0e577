package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.ChatSettings;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelRetry;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A worker whose generation slots are full applies backpressure without leaving its group: it goes on
 * polling, so it is not dropped after {@code max.poll.interval.ms} and no other worker answers its
 * messages again while it is still writing them. Ten long messages of one conversation on a worker with
 * one slot keep it saturated for far longer than the (lowered) poll interval; each is answered once.
 */
@ExtendWith(SharedKafka.class)
class WorkerMembershipTest {

  private static final int MESSAGES = 10;
  private static final String POLL_INTERVAL_MS = "3000"; // the answers take about 22 s in all
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  @Test
  void aSaturatedWorkerKeepsItsPartitionsAndEveryMessageIsAnsweredOnce() throws Exception {
    KafkaSettings kafka = TokenrailStack.freshTopics().withClientProperty("max.poll.interval.ms", POLL_INTERVAL_MS);
    // Two worker verticles, one slot each: whichever owns the conversation's partition is saturated, and the
    // other would take the partition over if the first were dropped from the group.
    try (TokenrailStack stack = TokenrailStack.start(kafka, k -> new WorkerConfig(k, ModelSettings.demo(50, 200), 2, 1,
        WorkerConfig.DEFAULT_IDLE_TIMEOUT, WorkerConfig.DEFAULT_MAX_GENERATION_TIME, Duration.ZERO, ModelRetry.DEFAULT,
        ChatSettings.DEFAULT, WorkerConfig.DEFAULT_TOKENS_PER_RECORD), 1)) {
      awaitBothWorkersAssigned(kafka);
      String conversation = "saturated";
      try (SseClient stream = SseClient.connect(stack.baseUrl() + "/api/conversations/" + conversation + "/events")) {
        List<String> messageIds = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
          messageIds.add(Http.postMessage(stack.baseUrl(), conversation, "#tokens=100 long message " + i));
        }
        String last = messageIds.get(MESSAGES - 1);
        List<SseClient.Event> events = stream.awaitEvent(
            e -> e.type().equals("done") && last.equals(e.data().getString("messageId")), PATIENCE);
        assertThat(events.stream().filter(e -> e.type().equals("start")).map(e -> e.data().getInteger("attempt")))
            .as("every message started once, as its first attempt").hasSize(MESSAGES).containsOnly(1);
        for (String messageId : messageIds) {
          assertCompleteAnswer(events, conversation, messageId, TokenrailStack.PARTITIONS);
        }
      }
    }
  }

  /** The group is stable with both verticles holding partitions of this test's requests topic. */
  private static void awaitBothWorkersAssigned(KafkaSettings kafka) {
    try (Admin admin = Admin.create(new HashMap<String, Object>(kafka.adminConfig()))) {
      await().atMost(PATIENCE).until(() -> {
        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(WorkerConfig.GROUP_ID)).all()
            .get(10, TimeUnit.SECONDS).get(WorkerConfig.GROUP_ID);
        long holding = group.members().stream().filter(m -> m.assignment().topicPartitions().stream()
            .anyMatch(tp -> tp.topic().equals(kafka.topics().requests()))).count();
        return group.groupState() == GroupState.STABLE && holding == 2;
      });
    }
  }
}
