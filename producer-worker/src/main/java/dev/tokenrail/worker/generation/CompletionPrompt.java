package dev.tokenrail.worker.generation;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.tokenrail.protocol.CompletionOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The prompt and settings of a message from the OpenAI-compatible API: the client's own history, then its
 * message. The worker's memory is not added — an OpenAI client sends the whole conversation every time.
 */
public final class CompletionPrompt {

  private CompletionPrompt() {
  }

  public static List<ChatMessage> of(CompletionOptions options, String userText) {
    List<ChatMessage> prompt = new ArrayList<>();
    for (CompletionOptions.Prior prior : options.history()) {
      prompt.add(switch (prior.role()) {
        case "system" -> SystemMessage.from(prior.content());
        case "assistant" -> AiMessage.from(prior.content());
        default -> UserMessage.from(prior.content());
      });
    }
    prompt.add(UserMessage.from(userText));
    return prompt;
  }

  /** Passes the sampling settings the client set through to the provider. */
  static void applySettings(CompletionOptions options, ChatRequest.Builder request) {
    options.temperature().ifPresent(request::temperature);
    options.maxTokens().ifPresent(request::maxOutputTokens);
  }
}
