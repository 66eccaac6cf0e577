package dev.tokenrail.worker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import dev.tokenrail.worker.partition.ConversationQueues.Queued;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConversationQueuesTest {

  private long offset;

  private Queued message(String key) {
    long at = offset++;
    MessageRequest request = new MessageRequest(key, "m-" + at, "hello", at);
    return new Queued(at, key, request, 1, Turn.pending(request, at), TraceContext.newTrace());
  }

  @Test
  void countsTheMessagesWaitingBehindEachConversationsHead() {
    ConversationQueues queues = new ConversationQueues();
    Queued a1 = message("a");
    Queued a2 = message("a");
    Queued a3 = message("a");
    Queued b1 = message("b");
    assertThat(queues.add(a1)).isTrue();
    assertThat(queues.add(a2)).isFalse();
    assertThat(queues.add(a3)).isFalse();
    assertThat(queues.add(b1)).isTrue();
    assertThat(queues.parked()).isEqualTo(2);

    assertThat(queues.remove(a2)).isNull(); // cancelled while parked: a1 still runs
    assertThat(queues.parked()).isEqualTo(1);
    assertThat(queues.remove(a2)).isNull(); // told twice: nothing more leaves
    assertThat(queues.parked()).isEqualTo(1);

    assertThat(queues.remove(a1)).isSameAs(a3); // the head ends: the next becomes head and waits no more
    assertThat(queues.parked()).isZero();
    assertThat(queues.remove(a3)).isNull();
    assertThat(queues.remove(b1)).isNull();
    assertThat(queues.has("a")).isFalse();
    assertThat(queues.parked()).isZero();
  }

  /** Thousands of arrivals, ends and cancels in any order: the count always equals what the queues hold. */
  @Test
  void theCountMatchesTheQueuesThroughAnyOrderOfArrivalsAndEnds() {
    ConversationQueues queues = new ConversationQueues();
    Map<String, List<Queued>> model = new HashMap<>();
    Random random = new Random(7);
    for (int step = 0; step < 20_000; step++) {
      String key = "c" + random.nextInt(50);
      List<Queued> conversation = model.computeIfAbsent(key, k -> new ArrayList<>());
      if (conversation.isEmpty() || random.nextInt(3) == 0) {
        Queued q = message(key);
        assertThat(queues.add(q)).isEqualTo(conversation.isEmpty());
        conversation.add(q);
      } else {
        Queued leaving = conversation.get(random.nextInt(conversation.size()));
        boolean head = conversation.get(0) == leaving;
        conversation.remove(leaving);
        Queued next = queues.remove(leaving);
        assertThat(next).isEqualTo(head && !conversation.isEmpty() ? conversation.get(0) : null);
      }
      int expected = model.values().stream().mapToInt(c -> Math.max(0, c.size() - 1)).sum();
      assertThat(queues.parked()).isEqualTo(expected);
    }
  }
}
