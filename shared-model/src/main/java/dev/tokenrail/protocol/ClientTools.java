package dev.tokenrail.protocol;

import java.util.List;
import java.util.Optional;

/**
 * The tools a client defines and runs itself, as a message brings them. The worker offers their
 * {@code definitions} to the model beside its own tools; when the model calls one, the worker does not run
 * it: the answer ends with the call ({@code tool_call} with {@code client: true}, then {@code done} with
 * {@code finishReason: "tool_calls"}), and the client's next message brings the {@code results} — in place of
 * user text, or before it.
 *
 * @param definitions the tools offered, as the client described them
 * @param choice      {@link #AUTO}, {@link #NONE} (offer none of them), {@link #REQUIRED} (the model must call a
 *                    tool), or the name of the one tool the model must call
 * @param results     what the client's tools returned for the calls the conversation's previous answer ended with
 */
public record ClientTools(List<Definition> definitions, String choice, List<Result> results) {

  public static final String AUTO = "auto";
  public static final String NONE = "none";
  public static final String REQUIRED = "required";
  /** A message that brings no tools of its client's. */
  public static final ClientTools ABSENT = new ClientTools(List.of(), AUTO, List.of());

  /** A tool: {@code parameters} is its arguments' JSON Schema (an object schema), as JSON text. */
  public record Definition(String name, String description, String parameters) {
  }

  /**
   * What one call came to. {@code name} may be empty: a client that answers a call by its id alone (OpenAI's
   * tool messages do) leaves the worker to find the name among the calls the previous answer made.
   */
  public record Result(String toolCallId, String name, String content, boolean isError) {
  }

  public ClientTools {
    definitions = List.copyOf(definitions);
    results = List.copyOf(results);
    choice = choice == null ? AUTO : choice;
  }

  public boolean isAbsent() {
    return definitions.isEmpty() && results.isEmpty() && AUTO.equals(choice);
  }

  /** The name of the one tool the model must call, when {@link #choice} names one. */
  public Optional<String> forcedTool() {
    return AUTO.equals(choice) || NONE.equals(choice) || REQUIRED.equals(choice) ? Optional.empty() : Optional.of(choice);
  }
}
