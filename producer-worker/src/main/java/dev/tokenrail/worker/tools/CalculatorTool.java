package dev.tokenrail.worker.tools;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import io.vertx.core.json.JsonObject;

/** {@code calculator}: evaluates an arithmetic expression with {@link Calculator}. */
public final class CalculatorTool implements Tool {

  public static final String NAME = "calculator";

  private static final ToolSpecification SPECIFICATION = ToolSpecification.builder()
      .name(NAME)
      .description("Evaluates an arithmetic expression exactly as written. Supports numbers, + - * / ^ "
          + "(power) and parentheses. Use it for any arithmetic instead of calculating yourself.")
      .parameters(JsonObjectSchema.builder()
          .addStringProperty("expression", "The expression, e.g. (2 + 3) * 4 ^ 2")
          .required("expression")
          .build())
      .build();

  @Override
  public ToolSpecification specification() {
    return SPECIFICATION;
  }

  @Override
  public String execute(JsonObject arguments) throws ToolException {
    if (!(arguments.getValue("expression") instanceof String expression)) {
      throw new ToolException("The argument 'expression' (a string) is missing.");
    }
    return Calculator.format(Calculator.evaluate(expression));
  }
}
