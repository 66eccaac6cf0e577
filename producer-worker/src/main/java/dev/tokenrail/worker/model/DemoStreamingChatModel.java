package dev.tokenrail.worker.model;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stand-in for a real LLM that needs no network and no key: a real langchain4j
 * {@link StreamingChatModel} whose answer is made-up text, streamed at a set pace from a timer thread,
 * just as a provider's client calls back from its HTTP thread.
 *
 * <p>The answer is deterministic for a given conversation (its messages). A prompt containing
 * {@code #tokens=N} gets exactly N partial responses (N at most {@value #MAX_TOKENS}); otherwise 50 to 70.
 * {@code #markdown} gets a Markdown sample (for the chat page's renderer).
 * Cancelling through the {@link StreamingHandle} stops the stream: no callback follows.
 *
 * <p>It uses tools the way a real model does, when they are offered: a prompt asking for the time calls
 * {@code current_time} (with the IANA zone the prompt names, if any), {@code calculate <expression>} calls
 * {@code calculator}, and {@code call NAME {json arguments}} calls any offered tool named NAME (a client's,
 * an MCP server's); its next answer, given the tool's result, states it. A prompt containing {@code #think}
 * thinks aloud first: a few words of reasoning, streamed as thinking, apart from the answer.
 *
 * <p>The words it says are {@link DemoText}'s.
 */
public final class DemoStreamingChatModel implements StreamingChatModel {

  public static final int MAX_TOKENS = 100_000;

  private static final Logger log = LoggerFactory.getLogger(DemoStreamingChatModel.class);
  private static final Pattern TOKENS_DIRECTIVE = Pattern.compile("#tokens=(\\d+)");
  private static final Pattern CALCULATE = Pattern.compile("(?is)\\bcalculate\\s+(.+?)[\\s?!]*$");
  private static final Pattern ASKS_FOR_TIME =
      Pattern.compile("(?i)\\b(what time|the time|current time|time now|time is it)\\b");
  private static final Pattern TIME_ZONE = Pattern.compile("\\b([A-Z][A-Za-z]+(?:/[A-Za-z_+-]+)+)\\b");
  /** {@code call NAME {json arguments}}: the arguments are the rest of the message, when it is JSON. */
  private static final Pattern CALL = Pattern.compile("(?s)\\bcall\\s+([A-Za-z0-9_-]{1,64})\\s*(\\{.*})?\\s*$");

  /** One timer thread serves every demo stream in the JVM: emitting a token is a few microseconds. */
  private static final ScheduledThreadPoolExecutor TIMER = createTimer();

  private final long periodNanos;
  private final Duration timeToFirstToken;

  public DemoStreamingChatModel(int tokensPerSecond, Duration timeToFirstToken) {
    if (tokensPerSecond <= 0) {
      throw new IllegalArgumentException("tokensPerSecond must be positive");
    }
    this.periodNanos = Math.max(1, TimeUnit.SECONDS.toNanos(1) / tokensPerSecond);
    this.timeToFirstToken = timeToFirstToken;
  }

  @Override
  public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
    List<ChatMessage> messages = request.messages();
    long seed = seedOf(messages);
    int inputTokens = inputTokensOf(messages);
    if (!messages.isEmpty() && messages.get(messages.size() - 1) instanceof ToolExecutionResultMessage) {
      List<String> words = DemoText.wordsOf(DemoText.toolResultsSentence(messages));
      new DemoStream(handler, words.iterator()::next, words.size(), inputTokens, null).start();
      return;
    }
    String prompt = lastUserText(messages);
    ToolExecutionRequest call = toolCallFor(prompt, request.toolSpecifications(), seed);
    if (call != null) {
      new DemoStream(handler, null, 0, inputTokens, call).start();
      return;
    }
    List<String> thinking = prompt.contains("#think") ? DemoText.wordsOf(DemoText.THINKING) : List.of();
    if (prompt.contains("#markdown")) {
      List<String> words = DemoText.wordsOf(DemoText.MARKDOWN_SAMPLE);
      new DemoStream(handler, words.iterator()::next, words.size(), inputTokens, null).thinking(thinking).start();
      return;
    }
    Matcher m = TOKENS_DIRECTIVE.matcher(prompt);
    int count;
    if (m.find()) {
      String digits = m.group(1);
      if (digits.length() > 6 || Integer.parseInt(digits) > MAX_TOKENS) {
        handler.onError(new InvalidRequestException("#tokens=N takes N up to " + MAX_TOKENS));
        return;
      }
      count = Integer.parseInt(digits);
    } else {
      count = 50 + (int) Math.floorMod(seed, 21L);
    }
    new DemoStream(handler, new DemoText.Words(seed)::next, count, inputTokens, null).thinking(thinking).start();
  }

  /** The tool call a prompt asks for, if that tool is offered; null for none. */
  private static ToolExecutionRequest toolCallFor(String prompt, List<ToolSpecification> offered, long seed) {
    java.util.Set<String> names = new java.util.HashSet<>();
    if (offered != null) {
      offered.forEach(t -> names.add(t.name()));
    }
    String id = "call_" + Long.toHexString(seed & 0xFFFFFFFFFFFFL);
    Matcher named = CALL.matcher(prompt);
    if (named.find() && names.contains(named.group(1))) {
      String arguments = named.group(2) == null ? "{}" : named.group(2).trim();
      return ToolExecutionRequest.builder().id(id).name(named.group(1)).arguments(arguments).build();
    }
    Matcher calc = CALCULATE.matcher(prompt);
    if (names.contains("calculator") && calc.find()) {
      return ToolExecutionRequest.builder().id(id).name("calculator")
          .arguments(new io.vertx.core.json.JsonObject().put("expression", calc.group(1).trim()).encode()).build();
    }
    if (names.contains("current_time") && ASKS_FOR_TIME.matcher(prompt).find()) {
      Matcher zone = TIME_ZONE.matcher(prompt);
      io.vertx.core.json.JsonObject arguments = new io.vertx.core.json.JsonObject();
      if (zone.find()) {
        arguments.put("timezone", zone.group(1));
      }
      return ToolExecutionRequest.builder().id(id).name("current_time").arguments(arguments.encode()).build();
    }
    return null;
  }

  /**
   * Streams {@code count} tokens, then completes with the text — or, when {@code toolCall} is set, with that
   * tool call and no text, as providers do when the model decides to call a tool.
   */
  private final class DemoStream implements StreamingHandle, Runnable {
    private final StreamingChatResponseHandler handler;
    private final java.util.function.Supplier<String> words;
    private final int count;
    private final int inputTokens;
    private final ToolExecutionRequest toolCall;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder thought = new StringBuilder();
    private List<String> thinking = List.of();
    private int thoughtIndex;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile boolean completed;
    private volatile ScheduledFuture<?> schedule;
    private int emitted;

    DemoStream(StreamingChatResponseHandler handler, java.util.function.Supplier<String> words, int count,
               int inputTokens, ToolExecutionRequest toolCall) {
      this.handler = handler;
      this.words = words;
      this.count = count;
      this.inputTokens = inputTokens;
      this.toolCall = toolCall;
    }

    /** Words of thinking streamed before the answer's text, as a reasoning model does. */
    DemoStream thinking(List<String> words) {
      this.thinking = words;
      return this;
    }

    void start() {
      schedule = TIMER.scheduleAtFixedRate(this, timeToFirstToken.toNanos(), periodNanos, TimeUnit.NANOSECONDS);
      ModelCall.onAbort(this::cancel); // before its first token, as a provider's request is aborted
    }

    @Override
    public void run() { // on the timer thread; runs are never concurrent for one schedule
      if (cancelled.get() || completed) {
        return;
      }
      try {
        if (thoughtIndex < thinking.size()) {
          String word = thinking.get(thoughtIndex++);
          thought.append(word);
          handler.onPartialThinking(new PartialThinking(word), new PartialThinkingContext(this));
          return;
        }
        if (emitted < count) {
          String token = words.get();
          text.append(token);
          emitted++;
          handler.onPartialResponse(new PartialResponse(token), new PartialResponseContext(this));
          return;
        }
        completed = true; // with no time to first token, this run may come before stop() can see the schedule
        stop();
        handler.onCompleteResponse(ChatResponse.builder()
            .aiMessage(toolCall != null ? AiMessage.from(toolCall) : AiMessage.builder().text(text.toString())
                .thinking(thought.isEmpty() ? null : thought.toString()).build())
            .modelName("demo")
            .tokenUsage(new TokenUsage(inputTokens, toolCall != null ? 1 : count))
            .finishReason(toolCall != null ? FinishReason.TOOL_EXECUTION : FinishReason.STOP)
            .build());
      } catch (Throwable t) { // as langchain4j does: a failing handler callback ends the stream in onError
        stop();
        try {
          handler.onError(t);
        } catch (Throwable ignored) {
          log.warn("onError handler threw", ignored);
        }
      }
    }

    private void stop() {
      ScheduledFuture<?> s = schedule;
      if (s != null) {
        s.cancel(false);
      }
    }

    @Override
    public void cancel() {
      if (cancelled.compareAndSet(false, true)) {
        stop();
      }
    }

    @Override
    public boolean isCancelled() {
      return cancelled.get();
    }
  }

  private static String lastUserText(List<ChatMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i) instanceof UserMessage user && user.hasSingleText()) {
        return user.singleText();
      }
    }
    return "";
  }

  private static long seedOf(List<ChatMessage> messages) {
    long h = 1125899906842597L;
    for (ChatMessage message : messages) {
      h = 31 * h + message.type().name().hashCode();
      h = 31 * h + textOf(message).hashCode();
    }
    return h;
  }

  private static int inputTokensOf(List<ChatMessage> messages) {
    int words = 0;
    for (ChatMessage message : messages) {
      words += textOf(message).split("\\s+").length;
    }
    return words;
  }

  private static String textOf(ChatMessage message) {
    if (message instanceof UserMessage user) {
      return user.hasSingleText() ? user.singleText() : "";
    }
    if (message instanceof AiMessage ai) {
      return ai.text() == null ? "" : ai.text();
    }
    if (message instanceof SystemMessage system) {
      return system.text();
    }
    return "";
  }

  private static ScheduledThreadPoolExecutor createTimer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "demo-model-timer");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
