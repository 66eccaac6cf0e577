package dev.tokenrail.worker.tools;

import dev.langchain4j.agent.tool.ToolSpecification;
import io.vertx.core.json.JsonObject;

/** A function the model may call. Implementations are stateless and safe to run on several threads at once. */
public interface Tool {

  /** The name, description and JSON schema of the arguments, as offered to the model. */
  ToolSpecification specification();

  default String name() {
    return specification().name();
  }

  /**
   * Runs the tool, on a worker thread (it may block). Returns the result the model reads.
   *
   * @throws ToolException for a failure the model should be told about in words it can act on
   */
  String execute(JsonObject arguments) throws ToolException;
}
