package dev.tokenrail.worker.tools;

import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import java.util.Map;

/** JSON Schemas from outside (a client's tool, an MCP server's) in langchain4j's model, which its providers send on. */
public final class ToolSchemas {

  private ToolSchemas() {
  }

  /**
   * The object schema {@code schema} describes. A schema langchain4j can't read is an object with no declared
   * properties — the tool's description still says what it takes — rather than a tool that can't be offered.
   */
  public static JsonObjectSchema objectSchema(Map<String, Object> schema) {
    try {
      JsonSchemaElement element = JsonSchemaElementJsonUtils.fromMap(schema);
      return element instanceof JsonObjectSchema object ? object : JsonObjectSchema.builder().build();
    } catch (RuntimeException e) {
      return JsonObjectSchema.builder().build();
    }
  }
}
