package dev.tokenrail.protocol;

import java.util.List;
import java.util.Optional;

/**
 * What an OpenAI-style request brings besides its last user message: the conversation as the client holds
 * it (OpenAI clients send the whole history each time, so the model is sent exactly that, not the
 * worker's memory) and sampling settings passed to the provider.
 *
 * @param history     the messages before the last user message, oldest first
 * @param temperature sampling temperature, 0–2
 * @param maxTokens   the most tokens the answer may have
 */
public record CompletionOptions(List<Prior> history, Optional<Double> temperature, Optional<Integer> maxTokens) {

  /** One earlier message; {@code role} is {@code system}, {@code user} or {@code assistant}. */
  public record Prior(String role, String content) {
    public Prior {
      if (!role.equals("system") && !role.equals("user") && !role.equals("assistant")) {
        throw new IllegalArgumentException("role must be system, user or assistant: " + role);
      }
    }
  }

  public CompletionOptions {
    history = List.copyOf(history);
  }
}
