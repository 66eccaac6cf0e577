package dev.tokenrail.worker.model;

import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.ModelName;
import java.util.Locale;
import java.util.Optional;

/**
 * Which model the worker streams from. Keys come from the environment only; {@link #toString()} never
 * shows them, so a logged configuration cannot leak one.
 */
public record ModelSettings(
    Provider provider,
    Optional<String> openAiBaseUrl,
    Optional<String> openAiApiKey,
    String openAiModel,
    Optional<String> anthropicApiKey,
    String anthropicModel,
    int demoTokensPerSecond,
    int demoTtftMs) {

  public enum Provider { DEMO, OPENAI, ANTHROPIC }

  public static final String DEFAULT_OPENAI_MODEL = ModelName.DEFAULT_OPENAI_MODEL;
  public static final String DEFAULT_ANTHROPIC_MODEL = ModelName.DEFAULT_ANTHROPIC_MODEL;

  public static ModelSettings demo(int tokensPerSecond, int ttftMs) {
    return new ModelSettings(Provider.DEMO, Optional.empty(), Optional.empty(), DEFAULT_OPENAI_MODEL,
        Optional.empty(), DEFAULT_ANTHROPIC_MODEL, tokensPerSecond, ttftMs);
  }

  public static ModelSettings openAi(String baseUrl, String apiKey, String model) {
    return new ModelSettings(Provider.OPENAI, Optional.of(baseUrl), Optional.ofNullable(apiKey), model,
        Optional.empty(), DEFAULT_ANTHROPIC_MODEL, 50, 200);
  }

  public static ModelSettings fromEnv(Env env) {
    String name = env.string("TOKENRAIL_MODEL_PROVIDER", "demo").toUpperCase(Locale.ROOT);
    Provider provider;
    try {
      provider = Provider.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "TOKENRAIL_MODEL_PROVIDER must be one of demo, openai, anthropic; got '" + name.toLowerCase(Locale.ROOT) + "'");
    }
    ModelSettings s = new ModelSettings(
        provider,
        env.optional("OPENAI_BASE_URL"),
        env.optional("OPENAI_API_KEY"),
        env.string("TOKENRAIL_OPENAI_MODEL", DEFAULT_OPENAI_MODEL),
        env.optional("ANTHROPIC_API_KEY"),
        env.string("TOKENRAIL_ANTHROPIC_MODEL", DEFAULT_ANTHROPIC_MODEL),
        env.intValue("TOKENRAIL_DEMO_TOKENS_PER_SECOND", 50, 1, 1_000_000),
        env.intValue("TOKENRAIL_DEMO_TTFT_MS", 200, 0, 600_000));
    if (provider == Provider.OPENAI && s.openAiApiKey().isEmpty() && s.openAiBaseUrl().isEmpty()) {
      throw new IllegalArgumentException("the openai provider needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)");
    }
    if (provider == Provider.ANTHROPIC && s.anthropicApiKey().isEmpty()) {
      throw new IllegalArgumentException("the anthropic provider needs ANTHROPIC_API_KEY");
    }
    return s;
  }

  /** What {@code start} events say in {@code model}. */
  public String displayName() {
    return ModelName.of(provider.name(), openAiModel, anthropicModel);
  }

  @Override
  public String toString() {
    return "ModelSettings[provider=" + provider.name().toLowerCase(Locale.ROOT) + ", model=" + displayName()
        + openAiBaseUrl.map(u -> ", baseUrl=" + u).orElse("")
        + (openAiApiKey.isPresent() || anthropicApiKey.isPresent() ? ", apiKey=<redacted>" : "") + "]";
  }
}
