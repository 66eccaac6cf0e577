package dev.tokenrail.worker.generation;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.runtime.Redaction;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import dev.tokenrail.worker.tools.Toolbox;
import dev.tokenrail.worker.model.ModelCall;
import dev.tokenrail.worker.model.ModelErrors;
import dev.tokenrail.worker.model.ModelRetry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at answering one message: a {@code started} marker (acknowledged first, so a worker that
 * takes over knows this attempt existed), {@code start}, a {@code token} per partial response, exactly
 * one terminal event ({@code done}, {@code error} or {@code cancelled}), then an {@code ended} marker.
 *
 * <p>The model is sent the conversation's earlier turns with the message, and offered the worker's tools
 * and the client's ({@link ToolOffer}). When it calls the worker's tools, each call is published as
 * {@code tool_call}, run by the {@link Toolbox}, published as {@code tool_result}, and the model is called
 * again with the results — at most {@code maxToolRounds} times; the last call offers none of the worker's
 * tools, so the model answers in words. A call of a client's tool ends the answer: the client runs it. The
 * model's thinking is published as {@code reasoning}, apart from the text. Before the terminal event, the turn
 * is written to memory as it ended: whoever sees {@code done} finds it in the transcript.
 *
 * <p>langchain4j calls the handler methods on the model's thread. They only hop onto the verticle's
 * context, where all state lives and Kafka is touched, and never throw.
 *
 * <p>Longer than 300 lines because it is one attempt's state machine, and not split: the {@code started} gate, tool
 * rounds, retries before the first token, timeouts, cancel, abandon and the membership check before the
 * end all read and set the same {@code ended}/{@code started}/{@code abandoned} state, and split apart
 * those guards would have to be kept in step across classes. What does not touch that state lives
 * elsewhere: the write order of an end ({@link EventSink#end}), retried writes ({@link WriteRetry}),
 * stopping a call before its first token ({@code ModelCall}), the prompt ({@link CompletionPrompt}).
 */
public final class Generation implements StreamingChatResponseHandler {

  private static final Logger log = LoggerFactory.getLogger(Generation.class);

  private final Context context;
  private final EventSink sink;
  private final StreamingChatModel model;
  private final String modelName;
  private final MessageRequest request;
  private final Turn pendingTurn;
  private final int attempt;
  private final ModelRetry retry;
  private final Toolbox toolbox;
  private final int maxToolRounds;
  private final TraceContext trace;
  private final WorkerMetrics metrics;
  /** What the model is sent: earlier turns, the message, then each tool round's calls and results. */
  private final List<ChatMessage> messages;
  /** The client's tools' results the message brought, then every call this attempt makes, in order. */
  private final List<Turn.ToolUse> toolUses = new ArrayList<>();
  /** Which tools each model call offers: the worker's own and the client's. */
  private final ToolOffer offer;
  /** Nothing to answer: a message with no text whose results answer no call of the last answer. */
  private final boolean nothingToAnswer;
  private int round;
  private boolean toolsOffered;
  /** What the model call in flight was offered: a call of anything else is not run. */
  private ToolOffer.Offered offered;
  private long inputTokens;
  private long outputTokens;
  private boolean usageReported;
  private int retries;
  private boolean anyToken;
  /** Events Kafka did not take (a token lost leaves a gap in the stream, not in done.text), and why the first. */
  private final java.util.concurrent.atomic.AtomicInteger lostEvents = new java.util.concurrent.atomic.AtomicInteger();
  private volatile Throwable firstLoss;
  /** A model call is streaming: its completion is awaited (once). */
  private boolean awaitingModel;
  /** Text or thinking has streamed: a retry would repeat it, so none is made. */
  private boolean anyOutput;
  private final Promise<Void> terminalAcknowledged = Promise.promise();
  private final StringBuilder text = new StringBuilder();
  private final long startedAt = System.currentTimeMillis();
  private long lastActivity = startedAt;
  private long nextSeq;
  private boolean ended;
  private boolean abandoned;
  /** Set once the {@code started} marker is stored; events made before wait in {@link #held}. */
  private boolean started;
  private final List<Runnable> held = new ArrayList<>();
  private volatile StreamingHandle streamingHandle;
  private final java.util.function.Supplier<Future<Boolean>> stillMember;
  /** Tries the writes an answer must make until they are stored, or the attempt is abandoned. */
  private final WriteRetry writes;
  /** The model call in flight: stops it even before its first token, when there is no handle yet. */
  private ModelCall modelCall;

  /**
   * @param pendingTurn  the message's memory record as the worker took it; the attempt's end is written over it
   * @param prompt       what the model is sent: the earlier turns in the memory window, then the message
   * @param results      the client's tools' results the message brought, one per call the last answer ended
   *                     with ({@link Turn#resultsFor}): the turn records them
   */
  public Generation(Context context, EventSink sink, GenerationSettings settings, Turn pendingTurn,
                    MessageRequest request, List<ChatMessage> prompt, List<Turn.ToolUse> results, int attempt,
                    TraceContext trace) {
    this.context = context;
    this.sink = sink;
    this.model = settings.model();
    this.modelName = settings.modelName();
    this.pendingTurn = pendingTurn;
    this.request = request;
    this.messages = new ArrayList<>(prompt);
    this.toolUses.addAll(results);
    this.nothingToAnswer = request.text().isEmpty() && results.isEmpty();
    this.offer = new ToolOffer(settings.toolbox().specifications(), request.tools());
    this.attempt = attempt;
    this.retry = settings.retry();
    this.toolbox = settings.toolbox();
    this.maxToolRounds = settings.maxToolRounds();
    this.trace = trace;
    this.metrics = settings.metrics();
    this.stillMember = settings.stillMember();
    this.writes = new WriteRetry(context.owner(), () -> abandoned);
  }

  /**
   * Starts the generation; the future completes once its terminal event and its {@code ended} marker are
   * acknowledged by Kafka. The model is called at once, so its time to first token overlaps the
   * {@code started} marker's write; no event is published before the marker is stored. The marker is tried
   * until it is ({@link WriteRetry}) — meanwhile what the model streams is held — and only an abandoned
   * attempt stops trying: its model stream is stopped and nothing is published.
   */
  public Future<Void> run() {
    StreamEvent.Start start = new StreamEvent.Start(request.conversationId(), request.messageId(), attempt, nextSeq++,
        now(), modelName);
    RequestRecord.Started marker = new RequestRecord.Started(request.conversationId(), request.messageId(), attempt, now());
    writes.persist("started marker of " + request.conversationId() + "/" + request.messageId(), () -> sink.mark(marker))
        .onFailure(e -> {
          ended = true;
          held.clear();
          stopModelStream();
          terminalAcknowledged.tryFail(e);
        })
        .onSuccess(v -> {
          if (abandoned) {
            return;
          }
          started = true;
          publishNow(start);
          held.forEach(Runnable::run); // tokens, or even the end, that came while the marker was written
          held.clear();
        });
    if (nothingToAnswer) {
      end(new InvalidPrompt("The message has no text, and the tool results it brings answer no call of the"
          + " conversation's last answer."));
    } else {
      callModel();
    }
    return terminalAcknowledged.future();
  }

  /** A message the model can't be asked: its message is safe to show, as it says what the client sent wrong. */
  static final class InvalidPrompt extends RuntimeException {
    InvalidPrompt(String message) {
      super(message, null, false, false);
    }
  }

  /** Runs now if the {@code started} marker is stored, else once it is. */
  private void whenStarted(Runnable action) {
    if (started) {
      action.run();
    } else {
      held.add(action);
    }
  }

  private void callModel() {
    if (ended) {
      return;
    }
    lastActivity = System.currentTimeMillis();
    ChatRequest.Builder chat = ChatRequest.builder().messages(messages);
    request.completion().ifPresent(c -> CompletionPrompt.applySettings(c, chat));
    ToolOffer.Offered offered = offer.forCall(round, round < maxToolRounds);
    this.offered = offered;
    toolsOffered = !offered.specifications().isEmpty();
    if (toolsOffered) {
      chat.toolSpecifications(offered.specifications());
      offered.choice().ifPresent(chat::toolChoice);
    }
    awaitingModel = true;
    try {
      modelCall = ModelCall.around(() -> model.chat(chat.build(), this));
    } catch (RuntimeException e) { // a model that fails before streaming still ends the attempt
      failed(e);
    }
  }

  /** Completes once the terminal event and the {@code ended} marker are acknowledged; fails if abandoned. */
  public Future<Void> finished() {
    return terminalAcknowledged.future();
  }

  /** Stops without a terminal event: the request will be answered again by whoever owns it next. */
  public void abandon() {
    if (!ended) {
      metrics.generationEnded("abandoned");
    }
    ended = true;
    abandoned = true;
    held.clear();
    stopModelStream();
    terminalAcknowledged.tryFail("abandoned");
  }

  /** The user asked to stop: the model stream is stopped and {@code cancelled} ends the attempt. */
  public void cancel() {
    if (ended) {
      return;
    }
    ended = true;
    stopModelStream();
    publishTerminal(new StreamEvent.Cancelled(request.conversationId(), request.messageId(), attempt, nextSeq++, now()),
        Turn.Status.CANCELLED);
  }

  /** Ends the attempt with {@code timeout} when no token came for {@code idleMillis}, or it ran too long. */
  public void checkTimeouts(long now, long idleMillis, long maxMillis) {
    if (ended) {
      return;
    }
    if (now - lastActivity > idleMillis) {
      end(new java.util.concurrent.TimeoutException("no token for " + idleMillis + " ms"));
    } else if (now - startedAt > maxMillis) {
      end(new java.util.concurrent.TimeoutException("generation ran longer than " + maxMillis + " ms"));
    }
  }

  public MessageRequest request() {
    return request;
  }

  // ---- langchain4j callbacks: model thread → verticle context ----

  @Override
  public void onPartialResponse(String partial) {
    context.runOnContext(v -> appendToken(partial));
  }

  @Override
  public void onPartialResponse(PartialResponse partial, PartialResponseContext partialContext) {
    streamingHandle = partialContext.streamingHandle();
    context.runOnContext(v -> appendToken(partial.text()));
  }

  @Override
  public void onPartialThinking(PartialThinking thinking) {
    context.runOnContext(v -> appendReasoning(thinking.text()));
  }

  @Override
  public void onPartialThinking(PartialThinking thinking, PartialThinkingContext thinkingContext) {
    streamingHandle = thinkingContext.streamingHandle();
    context.runOnContext(v -> appendReasoning(thinking.text()));
  }

  @Override
  public void onCompleteResponse(ChatResponse response) {
    context.runOnContext(v -> complete(response));
  }

  @Override
  public void onError(Throwable error) {
    context.runOnContext(v -> failed(error));
  }

  // ---- on the verticle context ----

  private void appendToken(String partial) {
    if (ended || partial == null || partial.isEmpty()) {
      return;
    }
    text.append(partial);
    if (!anyToken) {
      metrics.firstToken(request.ts());
    }
    anyToken = true;
    anyOutput = true;
    metrics.tokenPublished();
    lastActivity = System.currentTimeMillis();
    publish(new StreamEvent.Token(request.conversationId(), request.messageId(), attempt, nextSeq++, now(), partial));
  }

  /** The model's thinking: its own events, never part of the answer's text (nor of memory). */
  private void appendReasoning(String partial) {
    if (ended || partial == null || partial.isEmpty()) {
      return;
    }
    anyOutput = true;
    lastActivity = System.currentTimeMillis();
    publish(new StreamEvent.Reasoning(request.conversationId(), request.messageId(), attempt, nextSeq++, now(), partial));
  }

  private void complete(ChatResponse response) {
    if (ended || !awaitingModel) {
      return; // a provider that completes one call twice must not run its tools twice
    }
    awaitingModel = false;
    TokenUsage usage = response.tokenUsage();
    if (usage != null && usage.inputTokenCount() != null && usage.outputTokenCount() != null) {
      usageReported = true;
      inputTokens += usage.inputTokenCount();
      outputTokens += usage.outputTokenCount();
    }
    AiMessage answer = response.aiMessage();
    if (toolsOffered && answer != null && answer.hasToolExecutionRequests()) {
      runTools(answer);
      return;
    }
    finish(finishReason(response.finishReason()));
  }

  /** The answer is complete: its usage, then {@code done}. */
  private void finish(String finishReason) {
    ended = true;
    if (usageReported) { // the whole turn's usage, every model call of it
      publish(new StreamEvent.Usage(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
          inputTokens, outputTokens));
    }
    // The answer is what the clients were sent, token by token: the assembled text, not a re-read of it.
    publishTerminal(new StreamEvent.Done(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
        text.toString(), finishReason), Turn.Status.DONE);
  }

  /**
   * One round of tool calls, each published as {@code tool_call}. The worker's own run at once off the event
   * loop, each outcome published as {@code tool_result} in the calls' order; then the model is asked again —
   * unless the model also called tools the client defined: those the client runs, so the answer ends with
   * them ({@code done} with finish reason {@code tool_calls}), and the client's next message brings their results.
   */
  private void runTools(AiMessage answer) {
    List<ToolExecutionRequest> calls = new ArrayList<>();
    for (ToolExecutionRequest call : answer.toolExecutionRequests()) {
      String id = call.id() == null || call.id().isBlank()
          ? "call_" + request.messageId().substring(24) + "_" + round + "_" + calls.size() : call.id();
      String arguments = call.arguments() == null ? "" : call.arguments();
      calls.add(call.toBuilder().id(id).arguments(arguments).build());
    }
    // The model's own message, thinking and provider attributes kept: some providers need them back within an answer.
    messages.add(AiMessage.builder().text(answer.text()).thinking(answer.thinking()).attributes(answer.attributes())
        .toolExecutionRequests(calls).build());
    List<ToolExecutionRequest> clientCalls = calls.stream().filter(c -> offer.isClients(c.name())).toList();
    List<ToolExecutionRequest> workerCalls = calls.stream().filter(c -> !offer.isClients(c.name())).toList();
    for (ToolExecutionRequest call : calls) {
      publish(new StreamEvent.ToolCall(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
          call.id(), call.name(), call.arguments(), offer.isClients(call.name())));
    }
    lastActivity = System.currentTimeMillis();
    // A tool of the worker's that this call did not offer (past the answer's rounds, or not the one the client
    // required) is not run; an unknown one is the toolbox's to say so.
    List<Future<Toolbox.Outcome>> outcomes = workerCalls.stream().map(c -> offered.offers(c.name()) || !toolbox.has(c.name())
        ? toolbox.run(c)
        : Future.succeededFuture(new Toolbox.Outcome("The tool '" + c.name() + "' was not offered for this call.", true)))
        .toList();
    Future.all(outcomes).onComplete(all -> context.runOnContext(v -> {
      if (ended) {
        return; // cancelled, timed out or abandoned while the tools ran
      }
      for (int i = 0; i < workerCalls.size(); i++) {
        ToolExecutionRequest call = workerCalls.get(i);
        Toolbox.Outcome outcome = outcomes.get(i).result(); // run() always succeeds
        publish(new StreamEvent.ToolResult(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
            call.id(), call.name(), outcome.result(), outcome.isError()));
        messages.add(ToolExecutionResultMessage.builder().id(call.id()).toolName(call.name()).text(outcome.result())
            .isError(outcome.isError()).build());
        toolUses.add(new Turn.ToolUse(call.id(), call.name(), call.arguments(), outcome.result(), outcome.isError(), round));
        metrics.toolCalled(call.name(), outcome.isError());
      }
      if (!clientCalls.isEmpty()) {
        clientCalls.forEach(c -> toolUses.add(new Turn.ToolUse(c.id(), c.name(), c.arguments(), "", false, round, true)));
        finish("tool_calls");
        return;
      }
      round++;
      callModel();
    }));
  }

  /** Before the first token a retriable failure is tried again, later; otherwise it ends the attempt. */
  private void failed(Throwable error) {
    if (ended || !awaitingModel) {
      return; // a call that completed already: nothing of it is left to fail
    }
    awaitingModel = false;
    java.util.OptionalLong wait = !anyOutput && retries < retry.maxRetries() && ModelRetry.retriable(error)
        ? retry.delayMillis(retries + 1, error) : java.util.OptionalLong.empty();
    if (wait.isPresent()) {
      long delay = wait.getAsLong();
      retries++;
      lastActivity = System.currentTimeMillis() + delay; // waiting to retry is not the model going quiet
      log.info("Model call failed before its first token, retry {} of {} in {} ms: conversationId={} messageId={} traceId={} cause={}",
          retries, retry.maxRetries(), delay, request.conversationId(), request.messageId(), trace.traceId(),
          Redaction.describe(error));
      context.owner().setTimer(delay, id -> callModel());
      return;
    }
    end(error);
  }

  private void end(Throwable error) {
    if (ended) {
      return;
    }
    ended = true;
    stopModelStream(); // a timed-out stream must not keep the provider busy
    ModelErrors.Classified c = error instanceof InvalidPrompt invalid
        ? new ModelErrors.Classified(dev.tokenrail.protocol.ErrorCode.INVALID_REQUEST, invalid.getMessage())
        : ModelErrors.classify(error);
    log.warn("Generation failed: conversationId={} messageId={} attempt={} code={} traceId={} cause={}",
        request.conversationId(), request.messageId(), attempt, c.code().wireName(), trace.traceId(),
        Redaction.describe(error));
    publishTerminal(new StreamEvent.Error(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
        c.code(), c.message()), Turn.Status.ERROR);
  }

  private void publish(StreamEvent event) {
    whenStarted(() -> publishNow(event));
  }

  private void publishNow(StreamEvent event) {
    // Counted on Kafka's thread, told once at the end: a batch that expires in an outage fails thousands at once,
    // and a log line each would hold up the thread that acknowledges every other write.
    sink.publishUnacknowledged(event, trace, e -> {
      if (lostEvents.getAndIncrement() == 0) {
        firstLoss = e;
      }
    });
  }

  /** Memory first, then the terminal event, then the marker ({@link EventSink#end}), once the attempt has started. */
  private void publishTerminal(StreamEvent event, Turn.Status outcome) {
    whenStarted(() -> writeEnd(event, outcome));
  }

  /**
   * A worker back from a pause longer than its session (a long GC, a paused container) is no longer a
   * member of its group and does not know it yet: another worker has this message and is answering it
   * again. So the end is written only after the group has accepted a commit from this worker since the
   * answer ended; if it refuses one as from a former member, the attempt is abandoned instead, and the
   * new owner's end is the only one — for clients and for the transcript.
   */
  private void writeEnd(StreamEvent event, Turn.Status outcome) {
    stillMember.get().onComplete(member -> {
      if (abandoned) {
        return; // its partition was revoked while the group was asked: the new owner ends it
      }
      if (member.succeeded() && !member.result()) {
        log.warn("No longer a member of the worker group: not ending conversationId={} messageId={} attempt={};"
            + " its partition's new owner answers it", request.conversationId(), request.messageId(), attempt);
        abandon();
        return;
      }
      metrics.generationEnded(outcome.wireName());
      if (lostEvents.get() > 0) {
        log.warn("{} events of conversationId={} messageId={} attempt={} were not written (the first: {}); traceId={}",
            lostEvents.get(), request.conversationId(), request.messageId(), attempt, firstLoss, trace.traceId());
      }
      log.info("Generation ended: conversationId={} messageId={} attempt={} outcome={} chars={} toolCalls={} traceId={}",
          request.conversationId(), request.messageId(), attempt, outcome.wireName(), text.length(), toolUses.size(),
          trace.traceId());
      sink.end(pendingTurn.ended(outcome, text.toString(), toolUses, attempt), () -> event, trace,
          () -> new RequestRecord.Ended(request.conversationId(), request.messageId(), attempt, outcome.wireName(), now()),
          writes)
          .onComplete(ok -> terminalAcknowledged.tryComplete(), failure -> terminalAcknowledged.tryFail(failure));
    });
  }

  private void stopModelStream() {
    StreamingHandle handle = streamingHandle;
    if (handle != null && !handle.isCancelled()) {
      handle.cancel();
    }
    if (modelCall != null) {
      modelCall.abort();
    }
  }

  private static String finishReason(FinishReason reason) {
    return reason == null ? "stop" : reason.name().toLowerCase(Locale.ROOT);
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
