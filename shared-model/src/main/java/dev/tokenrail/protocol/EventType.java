package dev.tokenrail.protocol;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The {@code type} of a stream event, as it appears in JSON and as the SSE {@code event:} field. */
public enum EventType {
  START("start", false),
  TOKEN("token", false),
  /**
   * Stored only: a run of an attempt's consecutive tokens in one record, which the worker writes when tokens pile up
   * faster than it sends them. Gateways send each of its tokens as a {@code token} event of its own.
   */
  TOKENS("tokens", false),
  /** The model's thinking, streamed apart from the answer's text. */
  REASONING("reasoning", false),
  TOOL_CALL("tool_call", false),
  TOOL_RESULT("tool_result", false),
  USAGE("usage", false),
  DONE("done", true),
  ERROR("error", true),
  CANCELLED("cancelled", true),
  /** Written by a gateway to one client, never stored in Kafka. */
  RESET("reset", false);

  private static final Map<String, EventType> BY_WIRE_NAME =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::wireName, Function.identity()));

  private final String wireName;
  private final boolean terminal;

  EventType(String wireName, boolean terminal) {
    this.wireName = wireName;
    this.terminal = terminal;
  }

  public String wireName() {
    return wireName;
  }

  /** A terminal event is the last one of a message's attempt: nothing of that attempt follows it. */
  public boolean terminal() {
    return terminal;
  }

  public static Optional<EventType> fromWireName(String name) {
    return Optional.ofNullable(BY_WIRE_NAME.get(name));
  }
}
