package dev.tokenrail.worker.generation;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.tokenrail.protocol.CompletionOptions;
import dev.tokenrail.protocol.Turn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The prompt of an OpenAI-style message: the history the client sent (not the worker's memory — such clients
 * hold the conversation themselves, calls of their tools and those tools' results included), then the results
 * of the calls the history ends with, if the message brings them, then the last user message, if it has one.
 */
public final class CompletionPrompt {

  private CompletionPrompt() {
  }

  /** @param results the client's results for the calls of the history's last message ({@link #openCalls}) */
  public static List<ChatMessage> of(CompletionOptions options, List<Turn.ToolUse> results, String userText) {
    List<ChatMessage> prompt = new ArrayList<>();
    Map<String, String> callNames = new HashMap<>();
    for (CompletionOptions.Prior prior : options.history()) {
      prompt.add(switch (prior.role()) {
        case "system" -> SystemMessage.from(prior.content());
        case "assistant" -> {
          if (prior.toolCalls().isEmpty()) {
            yield AiMessage.from(prior.content());
          }
          List<ToolExecutionRequest> calls = prior.toolCalls().stream().map(c -> ToolExecutionRequest.builder()
              .id(c.id()).name(c.name()).arguments(c.arguments()).build()).toList();
          calls.forEach(c -> callNames.put(c.id(), c.name()));
          yield prior.content().isEmpty() ? AiMessage.from(calls) : AiMessage.from(prior.content(), calls);
        }
        case "tool" -> ToolExecutionResultMessage.builder().id(prior.toolCallId())
            .toolName(callNames.getOrDefault(prior.toolCallId(), "")).text(prior.content()).build();
        default -> UserMessage.from(prior.content());
      });
    }
    results.forEach(r -> prompt.add(ToolExecutionResultMessage.builder().id(r.toolCallId()).toolName(r.name())
        .text(r.result()).isError(r.isError()).build()));
    if (!userText.isEmpty() || results.isEmpty()) {
      prompt.add(UserMessage.from(userText));
    }
    return prompt;
  }

  /** The calls of the client's tools the history's last message made: what a message's results answer. */
  public static List<Turn.ToolUse> openCalls(CompletionOptions options) {
    List<CompletionOptions.Prior> history = options.history();
    if (history.isEmpty() || !history.get(history.size() - 1).role().equals("assistant")) {
      return List.of();
    }
    return history.get(history.size() - 1).toolCalls().stream()
        .map(c -> new Turn.ToolUse(c.id(), c.name(), c.arguments(), "", false, 0, true)).toList();
  }

  /** Passes the sampling settings the client set through to the provider. */
  static void applySettings(CompletionOptions options, ChatRequest.Builder request) {
    options.temperature().ifPresent(request::temperature);
    options.maxTokens().ifPresent(request::maxOutputTokens);
  }
}
