package dev.tokenrail.worker.memory;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.tokenrail.protocol.Turn;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How much of a conversation the model sees: the newest earlier turns that fit in {@code maxMessages} chat
 * messages and about {@code maxTokens} tokens (4 characters a token), whole turns only, never a gap.
 *
 * <p>Each earlier turn is replayed as the user saw it: their message (or the results of the client's tools it
 * brought); for every round of tool calls an assistant message with the calls and a result message per call
 * the worker ran; then the assistant's text — for a cancelled or failed turn, the part that had streamed, if
 * any. So the model's next prompt agrees with the screen: what the user read is what the model is told it said.
 */
public record MemoryWindow(int maxMessages, int maxTokens) {

  public static final MemoryWindow DEFAULT = new MemoryWindow(40, 8_000);

  public MemoryWindow {
    if (maxMessages < 1 || maxTokens < 1) {
      throw new IllegalArgumentException("the memory window must allow at least one message and one token");
    }
  }

  /** Turns a worker needs to keep per conversation to fill the window (a turn is at least one message). */
  public int turnsToKeep() {
    return maxMessages;
  }

  /** The messages to send the model: the earlier turns that fit, then the new user message. */
  public List<ChatMessage> prompt(List<Turn> earlier, String userText) {
    return prompt(earlier, List.of(), userText);
  }

  /**
   * The messages to send the model: the earlier turns that fit, then {@code results} — the client's tools'
   * results for the calls the last turn ended with ({@link Turn#resultsFor}) — then the user's text, if any.
   */
  public List<ChatMessage> prompt(List<Turn> earlier, List<Turn.ToolUse> results, String userText) {
    List<ChatMessage> next = new ArrayList<>();
    results.forEach(r -> next.add(resultOf(r)));
    if (!userText.isEmpty() || results.isEmpty()) {
      next.add(UserMessage.from(userText));
    }
    int messagesLeft = maxMessages - next.size();
    int tokensLeft = maxTokens - next.stream().mapToInt(MemoryWindow::approximateTokens).sum();
    Deque<List<ChatMessage>> kept = new ArrayDeque<>();
    for (int i = earlier.size() - 1; i >= 0; i--) {
      List<Turn.ToolUse> answeredBy = i + 1 < earlier.size() ? earlier.get(i + 1).clientResults() : results;
      List<ChatMessage> turn = messagesOf(earlier.get(i), answeredBy);
      int tokens = turn.stream().mapToInt(MemoryWindow::approximateTokens).sum();
      // The turn whose calls the results answer stays, whatever it costs: without it they answer nothing.
      boolean answered = i == earlier.size() - 1 && !results.isEmpty();
      if (!answered && (turn.size() > messagesLeft || tokens > tokensLeft)) {
        break; // older turns would leave a gap in the conversation
      }
      kept.addFirst(turn);
      messagesLeft -= turn.size();
      tokensLeft -= tokens;
    }
    // A turn that starts from a client's tool results answers the turn before it; when that one is not in the
    // window, the results would answer calls the model never made — they go, and the rest of the turn stays.
    if (!kept.isEmpty()) {
      List<ChatMessage> first = new ArrayList<>(kept.removeFirst());
      while (!first.isEmpty() && first.get(0) instanceof ToolExecutionResultMessage) {
        first.remove(0);
      }
      if (!first.isEmpty()) {
        kept.addFirst(first);
      }
    }
    List<ChatMessage> prompt = new ArrayList<>();
    kept.forEach(prompt::addAll);
    prompt.addAll(next);
    return prompt;
  }

  static List<ChatMessage> messagesOf(Turn turn) {
    return messagesOf(turn, List.of());
  }

  /**
   * One turn as the model saw it: the client's tools' results it started from, the user's text, each round of
   * tool calls with the worker's own tools' results, and the answer's text. When the answer ended with calls
   * of the client's tools, the text goes with them in one message (the model said it before calling), and
   * each call that {@code answeredBy} — the next turn's results — does not answer gets an error result here:
   * a provider refuses a call left unanswered (a user who wrote a new message instead of sending results).
   */
  static List<ChatMessage> messagesOf(Turn turn, List<Turn.ToolUse> answeredBy) {
    List<ChatMessage> messages = new ArrayList<>();
    List<Turn.ToolUse> brought = turn.clientResults();
    brought.forEach(c -> messages.add(resultOf(c)));
    if (!turn.userText().isEmpty() || brought.isEmpty()) {
      messages.add(UserMessage.from(turn.userText()));
    }
    Map<Integer, List<Turn.ToolUse>> rounds = new TreeMap<>();
    turn.toolCalls().stream().filter(c -> c.round() != Turn.CLIENT_RESULTS)
        .forEach(c -> rounds.computeIfAbsent(c.round(), r -> new ArrayList<>()).add(c));
    boolean endedWithClientCalls = false;
    for (List<Turn.ToolUse> round : rounds.values()) {
      List<ToolExecutionRequest> calls = round.stream().map(c -> ToolExecutionRequest.builder()
          .id(c.toolCallId()).name(c.name()).arguments(c.arguments()).build()).toList();
      endedWithClientCalls = round.stream().anyMatch(Turn.ToolUse::client);
      messages.add(endedWithClientCalls && !turn.answer().isEmpty() ? AiMessage.from(turn.answer(), calls)
          : AiMessage.from(calls));
      // The worker's own tools' results follow their calls; the client's come with its next message.
      round.stream().filter(c -> !c.client()).forEach(c -> messages.add(resultOf(c)));
    }
    if (!turn.answer().isEmpty() && !endedWithClientCalls) {
      messages.add(AiMessage.from(turn.answer()));
    }
    java.util.Set<String> answered = new java.util.HashSet<>();
    answeredBy.forEach(r -> answered.add(r.toolCallId()));
    turn.openClientCalls().stream().filter(c -> !answered.contains(c.toolCallId()))
        .forEach(c -> messages.add(resultOf(Turn.resultsFor(List.of(c), List.of()).get(0))));
    return messages;
  }

  private static ToolExecutionResultMessage resultOf(Turn.ToolUse c) {
    return ToolExecutionResultMessage.builder().id(c.toolCallId()).toolName(c.name()).text(c.result())
        .isError(c.isError()).build();
  }

  private static int approximateTokens(ChatMessage message) {
    if (message instanceof UserMessage u) {
      return approximateTokens(u.singleText());
    }
    if (message instanceof AiMessage a) {
      int tokens = approximateTokens(a.text() == null ? "" : a.text());
      for (ToolExecutionRequest r : a.toolExecutionRequests()) {
        tokens += approximateTokens(r.name()) + approximateTokens(r.arguments());
      }
      return tokens;
    }
    if (message instanceof ToolExecutionResultMessage t) {
      return approximateTokens(t.text());
    }
    return 0;
  }

  private static int approximateTokens(String text) {
    return text == null ? 0 : (text.length() + 3) / 4;
  }
}
