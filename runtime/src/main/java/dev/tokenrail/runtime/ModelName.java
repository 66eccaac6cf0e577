package dev.tokenrail.runtime;

import java.util.Locale;

/**
 * The name of the model the workers answer with, as {@code start} events and {@code GET /v1/models} give
 * it: {@code demo}, {@code openai:<model>} or {@code anthropic:<model>}. Workers and gateways read it from
 * the same environment variables, so both name the same model.
 */
public final class ModelName {

  public static final String DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
  public static final String DEFAULT_ANTHROPIC_MODEL = "claude-3-5-haiku-latest";

  private ModelName() {
  }

  /** @param provider {@code demo}, {@code openai} or {@code anthropic}, any case */
  public static String of(String provider, String openAiModel, String anthropicModel) {
    return switch (provider.toLowerCase(Locale.ROOT)) {
      case "openai" -> "openai:" + openAiModel;
      case "anthropic" -> "anthropic:" + anthropicModel;
      default -> "demo";
    };
  }

  /** From {@code TOKENRAIL_MODEL_PROVIDER}, {@code TOKENRAIL_OPENAI_MODEL}, {@code TOKENRAIL_ANTHROPIC_MODEL}. */
  public static String fromEnv(Env env) {
    return of(env.string("TOKENRAIL_MODEL_PROVIDER", "demo"), env.string("TOKENRAIL_OPENAI_MODEL", DEFAULT_OPENAI_MODEL),
        env.string("TOKENRAIL_ANTHROPIC_MODEL", DEFAULT_ANTHROPIC_MODEL));
  }
}
