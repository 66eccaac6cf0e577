package dev.tokenrail.worker.generation;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.tokenrail.worker.model.ModelRetry;
import dev.tokenrail.worker.tools.Toolbox;

/**
 * What every {@link Generation} of a worker shares, made once when the verticle starts.
 *
 * @param model          the model every answer is streamed from
 * @param modelName      the name {@code start} events show for it
 * @param retry          retries of model calls that fail before their first token
 * @param toolbox        the tools offered to the model, and where they run
 * @param maxToolRounds  model calls per turn that may call tools; the next one is offered none
 * @param metrics        what the worker counts
 */
public record GenerationSettings(StreamingChatModel model, String modelName, ModelRetry retry, Toolbox toolbox,
                                 int maxToolRounds, WorkerMetrics metrics) {
}
