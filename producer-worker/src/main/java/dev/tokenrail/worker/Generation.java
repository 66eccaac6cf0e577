package dev.tokenrail.worker;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.tokenrail.model.MessageRequest;
import dev.tokenrail.model.RequestRecord;
import dev.tokenrail.model.StreamEvent;
import dev.tokenrail.worker.model.ModelErrors;
import dev.tokenrail.worker.model.ModelRetry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at answering one message: a {@code started} marker (acknowledged first, so a worker that
 * takes over knows this attempt existed), {@code start}, a {@code token} per partial response, exactly
 * one terminal event ({@code done}, {@code error} or {@code cancelled}), then an {@code ended} marker.
 *
 * <p>langchain4j calls the handler methods on the model's thread. They only hop onto the verticle's
 * context, where all state lives and Kafka is touched, and never throw.
 */
final class Generation implements StreamingChatResponseHandler {

  private static final Logger log = LoggerFactory.getLogger(Generation.class);

  private final Context context;
  private final EventSink sink;
  private final StreamingChatModel model;
  private final String modelName;
  private final MessageRequest request;
  private final int attempt;
  private final ModelRetry retry;
  private int retries;
  private boolean anyToken;
  private final Promise<Void> terminalAcknowledged = Promise.promise();
  private final StringBuilder text = new StringBuilder();
  private final long startedAt = System.currentTimeMillis();
  private long lastActivity = startedAt;
  private long nextSeq;
  private boolean ended;
  private volatile StreamingHandle streamingHandle;

  Generation(Context context, EventSink sink, StreamingChatModel model, String modelName,
             MessageRequest request, int attempt, ModelRetry retry) {
    this.context = context;
    this.sink = sink;
    this.model = model;
    this.modelName = modelName;
    this.request = request;
    this.attempt = attempt;
    this.retry = retry;
  }

  /**
   * Starts the generation; the future completes once its terminal event and its {@code ended} marker are
   * acknowledged by Kafka. If the {@code started} marker cannot be written, nothing is generated.
   */
  Future<Void> run() {
    sink.mark(new RequestRecord.Started(request.conversationId(), request.messageId(), attempt, now()))
        .onFailure(terminalAcknowledged::tryFail)
        .onSuccess(v -> {
          if (ended) { // cancelled or abandoned while the marker was being written
            return;
          }
          publish(new StreamEvent.Start(request.conversationId(), request.messageId(), attempt, nextSeq++, now(), modelName));
          callModel();
        });
    return terminalAcknowledged.future();
  }

  private void callModel() {
    if (ended) {
      return;
    }
    lastActivity = System.currentTimeMillis();
    try {
      model.chat(ChatRequest.builder().messages(UserMessage.from(request.text())).build(), this);
    } catch (RuntimeException e) { // a model that fails before streaming still ends the attempt
      failed(e);
    }
  }

  /** Completes once the terminal event and the {@code ended} marker are acknowledged; fails if abandoned. */
  Future<Void> finished() {
    return terminalAcknowledged.future();
  }

  /** Stops without a terminal event: the request will be answered again by whoever owns it next. */
  void abandon() {
    ended = true;
    stopModelStream();
    terminalAcknowledged.tryFail("abandoned");
  }

  /** The user asked to stop: the model stream is stopped and {@code cancelled} ends the attempt. */
  void cancel() {
    if (ended) {
      return;
    }
    ended = true;
    stopModelStream();
    publishTerminal(new StreamEvent.Cancelled(request.conversationId(), request.messageId(), attempt, nextSeq++, now()),
        "cancelled");
  }

  /** Ends the attempt with {@code timeout} when no token came for {@code idleMillis}, or it ran too long. */
  void checkTimeouts(long now, long idleMillis, long maxMillis) {
    if (ended) {
      return;
    }
    if (now - lastActivity > idleMillis) {
      end(new java.util.concurrent.TimeoutException("no token for " + idleMillis + " ms"));
    } else if (now - startedAt > maxMillis) {
      end(new java.util.concurrent.TimeoutException("generation ran longer than " + maxMillis + " ms"));
    }
  }

  MessageRequest request() {
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
    anyToken = true;
    lastActivity = System.currentTimeMillis();
    publish(new StreamEvent.Token(request.conversationId(), request.messageId(), attempt, nextSeq++, now(), partial));
  }

  private void complete(ChatResponse response) {
    if (ended) {
      return;
    }
    ended = true;
    TokenUsage usage = response.tokenUsage();
    if (usage != null && usage.inputTokenCount() != null && usage.outputTokenCount() != null) {
      publish(new StreamEvent.Usage(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
          usage.inputTokenCount(), usage.outputTokenCount()));
    }
    // The answer is what the clients were sent, token by token: the assembled text, not a re-read of it.
    publishTerminal(new StreamEvent.Done(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
        text.toString(), finishReason(response.finishReason())), "done");
  }

  /** Before the first token a retriable failure is tried again, later; otherwise it ends the attempt. */
  private void failed(Throwable error) {
    if (ended) {
      return;
    }
    java.util.OptionalLong wait = !anyToken && retries < retry.maxRetries() && ModelRetry.retriable(error)
        ? retry.delayMillis(retries + 1, error) : java.util.OptionalLong.empty();
    if (wait.isPresent()) {
      long delay = wait.getAsLong();
      retries++;
      lastActivity = System.currentTimeMillis() + delay; // waiting to retry is not the model going quiet
      log.info("Model call failed before its first token, retry {} of {} in {} ms: conversationId={} messageId={} cause={}",
          retries, retry.maxRetries(), delay, request.conversationId(), request.messageId(), error.toString());
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
    ModelErrors.Classified c = ModelErrors.classify(error);
    log.warn("Generation failed: conversationId={} messageId={} code={} cause={}",
        request.conversationId(), request.messageId(), c.code().wireName(), error.toString());
    publishTerminal(new StreamEvent.Error(request.conversationId(), request.messageId(), attempt, nextSeq++, now(),
        c.code(), c.message()), "error");
  }

  private void publish(StreamEvent event) {
    sink.publish(event).onFailure(e -> log.warn("Event not written: conversationId={} messageId={} seq={}: {}",
        event.conversationId(), event.messageId(), event.seq(), e.toString()));
  }

  private void publishTerminal(StreamEvent event, String outcome) {
    sink.publish(event)
        .compose(v -> sink.mark(new RequestRecord.Ended(request.conversationId(), request.messageId(), attempt, outcome, now())))
        .onComplete(ok -> terminalAcknowledged.tryComplete(), failure -> terminalAcknowledged.tryFail(failure));
  }

  private void stopModelStream() {
    StreamingHandle handle = streamingHandle;
    if (handle != null && !handle.isCancelled()) {
      handle.cancel();
    }
  }

  private static String finishReason(FinishReason reason) {
    return reason == null ? "stop" : reason.name().toLowerCase(Locale.ROOT);
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
