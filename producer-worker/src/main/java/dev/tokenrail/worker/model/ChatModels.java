package dev.tokenrail.worker.model;

import dev.langchain4j.model.anthropic.AnthropicStreamingChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.tokenrail.runtime.Redaction;
import java.time.Duration;

/** Builds the langchain4j streaming model the settings name. */
public final class ChatModels {

  /** OpenAI-compatible local servers (Ollama, vLLM, llama.cpp) often need no key, but the client wants one. */
  private static final String NO_KEY = "not-needed";
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  private ChatModels() {
  }

  public static StreamingChatModel create(ModelSettings settings) {
    // Whatever quotes a key back (a provider's error body, an exception) is logged through Redaction.
    settings.openAiApiKey().ifPresent(Redaction::register);
    settings.anthropicApiKey().ifPresent(Redaction::register);
    return switch (settings.provider()) {
      case DEMO -> new DemoStreamingChatModel(settings.demoTokensPerSecond(), Duration.ofMillis(settings.demoTtftMs()));
      case OPENAI -> {
        OpenAiStreamingChatModel.OpenAiStreamingChatModelBuilder b = OpenAiStreamingChatModel.builder()
            .apiKey(settings.openAiApiKey().orElse(NO_KEY))
            .modelName(settings.openAiModel())
            .httpClientBuilder(ProviderHttpClient.builder())
            .timeout(TIMEOUT)
            // An OpenAI-compatible server's reasoning_content (DeepSeek, vLLM, Ollama's thinking models) streams
            // as thinking, apart from the answer; it is never sent back (sendThinking off), as those servers ask.
            .returnThinking(true)
            .logRequests(false)
            .logResponses(false);
        settings.openAiBaseUrl().ifPresent(b::baseUrl);
        yield b.build();
      }
      case ANTHROPIC -> AnthropicStreamingChatModel.builder()
          .apiKey(settings.anthropicApiKey().orElseThrow())
          .modelName(settings.anthropicModel())
          .httpClientBuilder(ProviderHttpClient.builder())
          .timeout(TIMEOUT)
          .logRequests(false)
          .logResponses(false)
          .build();
    };
  }
}
