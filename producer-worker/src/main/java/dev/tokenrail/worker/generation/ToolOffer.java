package dev.tokenrail.worker.generation;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.tokenrail.protocol.ClientTools;
import dev.tokenrail.worker.tools.ToolSchemas;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which tools a model call of one answer is offered: the worker's own (built in, and MCP servers') and the
 * tools the client defined, which the client runs. A client's tool shadows a worker's of the same name: the
 * client asked for its own. The client's {@code tool_choice} applies to the answer's first model call —
 * {@code none} offers none of the client's tools, {@code required} makes the model call a tool, a name makes
 * it call that one (offered alone) — and later calls, after the worker's tools ran, are free again. At most
 * {@link #MAX_OFFERED} tools are offered (providers refuse more): the client's first.
 */
final class ToolOffer {

  /** What one model call is offered; {@code choice} empty is the provider's default (auto). */
  record Offered(List<ToolSpecification> specifications, Optional<ToolChoice> choice) {
    boolean offers(String name) {
      return specifications.stream().anyMatch(t -> t.name().equals(name));
    }
  }

  /** OpenAI's limit on a request's tools; the client's come first, then the worker's built-in and MCP ones. */
  static final int MAX_OFFERED = 128;

  private final List<ToolSpecification> workers;
  private final Map<String, ToolSpecification> clients = new LinkedHashMap<>();
  private final String choice;

  ToolOffer(List<ToolSpecification> workers, ClientTools client) {
    this.workers = workers;
    this.choice = client.choice();
    client.definitions().forEach(d -> clients.put(d.name(), specificationOf(d)));
  }

  /**
   * Whether {@code name} is one of the client's tools, offered: a call of it ends the answer instead of running
   * here. With {@code tool_choice: none} none of them is offered, and a call of one is a call of an unknown tool.
   */
  boolean isClients(String name) {
    return !ClientTools.NONE.equals(choice) && clients.containsKey(name);
  }

  /**
   * @param round         the answer's model calls so far
   * @param roundsAllowed whether tools may be offered at all: past the answer's tool rounds none is, so the model
   *                      answers in words — a call it makes anyway is not run
   */
  Offered forCall(int round, boolean roundsAllowed) {
    if (!roundsAllowed) {
      return new Offered(List.of(), Optional.empty());
    }
    boolean clientsOffered = !ClientTools.NONE.equals(choice);
    if (round == 0 && clientsOffered && !ClientTools.AUTO.equals(choice)) {
      if (ClientTools.REQUIRED.equals(choice)) {
        return new Offered(all(true), Optional.of(ToolChoice.REQUIRED));
      }
      ToolSpecification forced = clients.get(choice);
      if (forced != null) {
        return new Offered(List.of(forced), Optional.of(ToolChoice.REQUIRED));
      }
    }
    return new Offered(all(clientsOffered), Optional.empty());
  }

  private List<ToolSpecification> all(boolean withClients) {
    List<ToolSpecification> all = new ArrayList<>();
    if (withClients) {
      all.addAll(clients.values());
    }
    workers.stream().filter(w -> !clients.containsKey(w.name())).forEach(all::add);
    return all.size() > MAX_OFFERED ? List.copyOf(all.subList(0, MAX_OFFERED)) : all;
  }

  /** The client's tool as langchain4j offers it to providers. */
  static ToolSpecification specificationOf(ClientTools.Definition d) {
    ToolSpecification.Builder tool = ToolSpecification.builder().name(d.name())
        .parameters(ToolSchemas.objectSchema(new JsonObject(d.parameters()).getMap()));
    if (!d.description().isEmpty()) {
      tool.description(d.description());
    }
    return tool.build();
  }
}
