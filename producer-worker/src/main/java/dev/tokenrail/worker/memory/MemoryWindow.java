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
 * <p>Each earlier turn is replayed as the user saw it: their message; for every round of tool calls an
 * assistant message with the calls and a result message per call; then the assistant's text — for a
 * cancelled or failed turn, the part that had streamed, if any. So the model's next prompt agrees with the
 * screen: what the user read is what the model is told it said.
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
    int messagesLeft = maxMessages - 1;
    int tokensLeft = maxTokens - approximateTokens(userText);
    Deque<List<ChatMessage>> kept = new ArrayDeque<>();
    for (int i = earlier.size() - 1; i >= 0; i--) {
      List<ChatMessage> turn = messagesOf(earlier.get(i));
      int tokens = turn.stream().mapToInt(MemoryWindow::approximateTokens).sum();
      if (turn.size() > messagesLeft || tokens > tokensLeft) {
        break; // older turns would leave a gap in the conversation
      }
      kept.addFirst(turn);
      messagesLeft -= turn.size();
      tokensLeft -= tokens;
    }
    List<ChatMessage> prompt = new ArrayList<>();
    kept.forEach(prompt::addAll);
    prompt.add(UserMessage.from(userText));
    return prompt;
  }

  static List<ChatMessage> messagesOf(Turn turn) {
    List<ChatMessage> messages = new ArrayList<>();
    messages.add(UserMessage.from(turn.userText()));
    Map<Integer, List<Turn.ToolUse>> rounds = new TreeMap<>();
    turn.toolCalls().forEach(c -> rounds.computeIfAbsent(c.round(), r -> new ArrayList<>()).add(c));
    for (List<Turn.ToolUse> round : rounds.values()) {
      messages.add(AiMessage.from(round.stream().map(c -> ToolExecutionRequest.builder()
          .id(c.toolCallId()).name(c.name()).arguments(c.arguments()).build()).toList()));
      for (Turn.ToolUse c : round) {
        messages.add(ToolExecutionResultMessage.builder().id(c.toolCallId()).toolName(c.name()).text(c.result())
            .isError(c.isError()).build());
      }
    }
    if (!turn.answer().isEmpty()) {
      messages.add(AiMessage.from(turn.answer()));
    }
    return messages;
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
