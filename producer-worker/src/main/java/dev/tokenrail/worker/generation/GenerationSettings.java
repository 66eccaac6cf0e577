package dev.tokenrail.worker.generation;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.tokenrail.worker.model.ModelRetry;
import dev.tokenrail.worker.tools.Toolbox;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * What every {@link Generation} of a worker shares, made once when the verticle starts.
 *
 * @param model          the model every answer is streamed from
 * @param modelName      the name {@code start} events show for it
 * @param retry          retries of model calls that fail before their first token
 * @param toolbox        the tools offered to the model, and where they run
 * @param maxToolRounds  model calls per turn that may call tools; the next one is offered none
 * @param metrics        what the worker counts
 * @param stillMember    whether the worker is still a member of its group (false: it was dropped, and its
 *                       partitions belong to another worker, which answers their messages again)
 */
public record GenerationSettings(StreamingChatModel model, String modelName, ModelRetry retry, Toolbox toolbox,
                                 int maxToolRounds, WorkerMetrics metrics, Supplier<Future<Boolean>> stillMember) {
}
