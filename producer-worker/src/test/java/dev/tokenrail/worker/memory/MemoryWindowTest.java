package dev.tokenrail.worker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Turn;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryWindowTest {

  private static Turn turn(int offset, String user, Turn.Status status, String answer, List<Turn.ToolUse> tools) {
    return Turn.pending(new MessageRequest("c", "m" + offset, user, 0), offset).ended(status, answer, tools, 1);
  }

  @Test
  void earlierTurnsComeFirstInOrderThenTheNewMessage() {
    List<ChatMessage> prompt = MemoryWindow.DEFAULT.prompt(List.of(
        turn(1, "one", Turn.Status.DONE, "first answer", List.of()),
        turn(2, "two", Turn.Status.DONE, "second answer", List.of())), "three");
    assertThat(prompt).containsExactly(UserMessage.from("one"), AiMessage.from("first answer"),
        UserMessage.from("two"), AiMessage.from("second answer"), UserMessage.from("three"));
  }

  @Test
  void interruptedTurnsAreReplayedAsTheUserSawThem() {
    List<ChatMessage> prompt = MemoryWindow.DEFAULT.prompt(List.of(
        turn(1, "stopped", Turn.Status.CANCELLED, "half an ans", List.of()),
        turn(2, "failed", Turn.Status.ERROR, "", List.of())), "next");
    // The partial text the user read is what the model is told it said; nothing is invented for the failure.
    assertThat(prompt).containsExactly(UserMessage.from("stopped"), AiMessage.from("half an ans"),
        UserMessage.from("failed"), UserMessage.from("next"));
  }

  /**
   * An answer that ended with the client's call, then the message that brought its result: the model reads
   * its own words and call, the result right after, then the next question.
   */
  @Test
  void aClientsCallAndTheResultTheNextMessageBroughtAreReplayedInPlace() {
    Turn.ToolUse call = new Turn.ToolUse("call-w", "get_weather", "{\"city\":\"Oslo\"}", "", false, 0, true);
    Turn asked = turn(1, "weather?", Turn.Status.DONE, "Let me look.", List.of(call));
    Turn answered = Turn.pending(new MessageRequest("c", "m2", "", 0, java.util.Optional.empty(),
            new dev.tokenrail.protocol.ClientTools(List.of(), "auto",
                List.of(new dev.tokenrail.protocol.ClientTools.Result("call-w", "", "sunny", false)))), 2)
        .ended(Turn.Status.DONE, "It is sunny.", Turn.resultsFor(List.of(call),
            List.of(new dev.tokenrail.protocol.ClientTools.Result("call-w", "", "sunny", false))), 1);
    List<ChatMessage> prompt = MemoryWindow.DEFAULT.prompt(List.of(asked, answered), "and tomorrow?");
    assertThat(prompt).hasSize(5);
    assertThat(prompt.get(0)).isEqualTo(UserMessage.from("weather?"));
    AiMessage calling = (AiMessage) prompt.get(1);
    assertThat(calling.text()).isEqualTo("Let me look.");
    assertThat(calling.toolExecutionRequests()).singleElement().satisfies(r -> assertThat(r.id()).isEqualTo("call-w"));
    assertThat(prompt.get(2)).isInstanceOfSatisfying(ToolExecutionResultMessage.class, r -> {
      assertThat(r.id()).isEqualTo("call-w");
      assertThat(r.toolName()).isEqualTo("get_weather");
      assertThat(r.text()).isEqualTo("sunny");
    });
    assertThat(prompt.get(3)).isEqualTo(AiMessage.from("It is sunny."));
    assertThat(prompt.get(4)).isEqualTo(UserMessage.from("and tomorrow?"));
  }

  /** A user who wrote a new message instead of sending the result: the call is answered "no result", or providers refuse. */
  @Test
  void aClientsCallLeftUnansweredGetsAnErrorResultSoThePromptStaysValid() {
    Turn.ToolUse call = new Turn.ToolUse("call-w", "get_weather", "{}", "", false, 0, true);
    List<ChatMessage> prompt = MemoryWindow.DEFAULT.prompt(List.of(turn(1, "weather?", Turn.Status.DONE, "", List.of(call))),
        "never mind");
    assertThat(prompt).hasSize(4);
    assertThat(prompt.get(2)).isInstanceOfSatisfying(ToolExecutionResultMessage.class, r -> {
      assertThat(r.id()).isEqualTo("call-w");
      assertThat(r.isError()).isTrue();
      assertThat(r.text()).isEqualTo(Turn.NO_RESULT);
    });
    assertThat(prompt.get(3)).isEqualTo(UserMessage.from("never mind"));

    // Results for the last answer's calls come before the new text; a result naming no call is left out.
    List<Turn.ToolUse> results = Turn.resultsFor(List.of(call), List.of(
        new dev.tokenrail.protocol.ClientTools.Result("call-stray", "", "?", false),
        new dev.tokenrail.protocol.ClientTools.Result("call-w", "", "rain", false)));
    assertThat(results).singleElement().satisfies(r -> assertThat(r.result()).isEqualTo("rain"));
    List<ChatMessage> answered = MemoryWindow.DEFAULT.prompt(List.of(turn(1, "weather?", Turn.Status.DONE, "",
        List.of(call))), results, "");
    assertThat(answered).hasSize(3);
    assertThat(answered.get(2)).isInstanceOfSatisfying(ToolExecutionResultMessage.class,
        r -> assertThat(r.text()).isEqualTo("rain"));
  }

  /** Results bigger than the whole window still go with the turn whose calls they answer; older turns give way. */
  @Test
  void resultsOverTheWindowKeepTheTurnTheyAnswer() {
    Turn.ToolUse call = new Turn.ToolUse("call-w", "read_file", "{}", "", false, 0, true);
    MemoryWindow small = new MemoryWindow(40, 100);
    List<Turn.ToolUse> results = Turn.resultsFor(List.of(call),
        List.of(new dev.tokenrail.protocol.ClientTools.Result("call-w", "", "x".repeat(2_000), false)));
    List<ChatMessage> prompt = small.prompt(List.of(turn(1, "an older question", Turn.Status.DONE, "an older answer", List.of()),
        turn(2, "read it", Turn.Status.DONE, "", List.of(call))), results, "");
    assertThat(prompt).hasSize(3);
    assertThat(prompt.get(0)).isEqualTo(UserMessage.from("read it"));
    assertThat(((AiMessage) prompt.get(1)).toolExecutionRequests()).singleElement()
        .satisfies(r -> assertThat(r.id()).isEqualTo("call-w"));
    assertThat(((ToolExecutionResultMessage) prompt.get(2)).text()).hasSize(2_000);
  }

  @Test
  void toolRoundsAreReplayedAsCallsAndResultsBeforeTheAnswer() {
    List<ChatMessage> prompt = MemoryWindow.DEFAULT.prompt(List.of(turn(1, "calculate 2+3", Turn.Status.DONE, "It is 5.",
        List.of(new Turn.ToolUse("call-1", "calculator", "{\"expression\":\"2+3\"}", "5", false, 0)))), "and?");
    assertThat(prompt).hasSize(5);
    assertThat(((AiMessage) prompt.get(1)).toolExecutionRequests()).singleElement()
        .satisfies(r -> assertThat(r.id()).isEqualTo("call-1"));
    assertThat(prompt.get(2)).isInstanceOfSatisfying(ToolExecutionResultMessage.class,
        r -> assertThat(r.text()).isEqualTo("5"));
    assertThat(prompt.get(3)).isEqualTo(AiMessage.from("It is 5."));
  }

  @Test
  void theWindowKeepsTheNewestWholeTurnsWithinBothLimits() {
    List<Turn> earlier = List.of(
        turn(1, "a".repeat(400), Turn.Status.DONE, "x", List.of()),  // ~100 tokens
        turn(2, "b", Turn.Status.DONE, "y", List.of()),
        turn(3, "c", Turn.Status.DONE, "z", List.of()));
    assertThat(new MemoryWindow(5, 1_000).prompt(earlier, "d"))
        .containsExactly(UserMessage.from("b"), AiMessage.from("y"), UserMessage.from("c"), AiMessage.from("z"),
            UserMessage.from("d"));
    assertThat(new MemoryWindow(100, 50).prompt(earlier, "d")).hasSize(5); // turn 1 is over the token budget
    assertThat(new MemoryWindow(1, 1_000).prompt(earlier, "d")).containsExactly(UserMessage.from("d"));
  }

  @Test
  void memoryKeepsTheLastEndedTurnsPerConversationAndLeavesPendingOnesOutOfPrompts() {
    ConversationMemory memory = new ConversationMemory(2, new RecentTurns(10));
    memory.apply("c", turn(1, "one", Turn.Status.DONE, "1", List.of()), 10);
    memory.apply("c", turn(2, "two", Turn.Status.DONE, "2", List.of()), 11);
    memory.apply("c", turn(3, "three", Turn.Status.DONE, "3", List.of()), 12);
    // Queued messages don't count towards the turns kept: they must not push history out.
    memory.apply("c", Turn.pending(new MessageRequest("c", "m4", "four", 0), 4), 13);
    memory.apply("c", Turn.pending(new MessageRequest("c", "m5", "five", 0), 5), 14);
    assertThat(memory.before("c", 6)).extracting(Turn::userText).containsExactly("two", "three");
    assertThat(memory.before("c", 2)).isEmpty(); // turn 1 was dropped: only the last two ended are kept
    assertThat(memory.before("other", 5)).isEmpty();
  }

  @Test
  void conversationsLetGoKeepTheirIndexAndAreReadBackByTheirTurnsOffsets() {
    RecentTurns recent = new RecentTurns(1);
    ConversationMemory memory = new ConversationMemory(2, recent);
    Turn a1 = turn(1, "a1", Turn.Status.DONE, "x", List.of());
    Turn a2 = turn(3, "a2", Turn.Status.DONE, "y", List.of());
    memory.apply("a", a1, 100);
    memory.apply("a", a2, -1); // written by this worker: its offset comes with Kafka's acknowledgement
    memory.stored("a", a2, 102);
    memory.apply("b", turn(2, "b1", Turn.Status.DONE, "z", List.of()), 101);

    assertThat(recent.size()).isEqualTo(1);
    assertThat(recent.evicted()).isEqualTo(1);
    assertThat(memory.atHand("b")).isTrue();
    assertThat(memory.atHand("new")).isTrue(); // a conversation with no turns needs nothing read back
    assertThat(memory.atHand("a")).isFalse();
    assertThatThrownBy(() -> memory.before("a", 9)).isInstanceOf(IllegalStateException.class);
    assertThat(memory.toReload("a")).containsExactly(100L, 102L);
    // A turn written while "a" is let go goes into the index only; it is among what is read back, and only
    // the last two ended turns (the window's size) are.
    Turn a3 = turn(4, "a3", Turn.Status.DONE, "w", List.of());
    memory.apply("a", a3, 103);
    memory.apply("a", Turn.pending(new MessageRequest("c", "m9", "queued", 0), 9), 104); // pending: never read back
    assertThat(memory.toReload("a")).containsExactly(102L, 103L);
    // Written while the read is on its way: not in the read's snapshot, added to what it brings.
    Turn a4 = turn(5, "a4", Turn.Status.CANCELLED, "", List.of());
    memory.apply("a", a4, -1);

    memory.reloaded("a", List.of(a2, a3));
    assertThat(memory.before("a", 9)).extracting(Turn::userText).containsExactly("a3", "a4");
    assertThat(memory.atHand("b")).isFalse(); // "a" took the only place
    assertThat(memory.conversations()).isEqualTo(2);
    assertThat(memory.idleSince(Long.MAX_VALUE)).containsExactlyInAnyOrder("a", "b");
    assertThat(memory.forget("b")).containsExactly("m2");
    assertThat(memory.conversations()).isEqualTo(1);
  }

  @Test
  void aRestoredMemoryHandsItsTurnsToTheWorkersBoundNewestLast() {
    RecentTurns restoring = new RecentTurns(10);
    ConversationMemory memory = new ConversationMemory(5, restoring);
    memory.apply("old", turn(1, "o", Turn.Status.DONE, "o", List.of()), 1);
    memory.apply("newer", turn(2, "n", Turn.Status.DONE, "n", List.of()), 2);
    RecentTurns shared = new RecentTurns(1);
    memory.share(shared);
    assertThat(memory.atHand("newer")).isTrue();
    assertThat(memory.atHand("old")).isFalse();
    memory.release(); // the partition went to another worker
    assertThat(shared.size()).isZero();
    memory.reloaded("old", List.of(turn(1, "o", Turn.Status.DONE, "o", List.of()))); // a read-back that comes back late
    memory.apply("another", turn(3, "x", Turn.Status.DONE, "x", List.of()), 3);
    assertThat(shared.size()).as("a released memory holds nothing again").isZero();
  }
}
