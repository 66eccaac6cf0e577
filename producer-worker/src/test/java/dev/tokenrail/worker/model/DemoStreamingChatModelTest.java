package dev.tokenrail.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DemoStreamingChatModelTest {

  private final DemoStreamingChatModel model = new DemoStreamingChatModel(2_000, Duration.ZERO);

  @Test
  void tokensDirectiveGivesExactlyThatManyPartialResponsesAndTheirConcatenation() {
    Recorder r = chat("#tokens=37 tell me about rails");
    await().atMost(Duration.ofSeconds(20)).until(() -> r.complete.get() != null || r.error.get() != null);
    assertThat(r.error.get()).isNull();
    assertThat(r.partials).hasSize(37).allSatisfy(t -> assertThat(t).isNotEmpty());
    assertThat(r.complete.get().aiMessage().text()).isEqualTo(String.join("", r.partials));
    assertThat(r.complete.get().tokenUsage().outputTokenCount()).isEqualTo(37);
  }

  @Test
  void sameConversationGivesTheSameAnswerAndADifferentOneGivesAnother() {
    List<String> first = finished(chat("hello there"));
    List<String> again = finished(chat("hello there"));
    List<String> other = finished(chat("something else"));
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    assertThat(first.size()).isBetween(50, 70);
    assertThat(String.join("", first)).startsWith("I am the Tokenrail demo model");
  }

  @Test
  void moreThanTheMaximumTokensIsAnInvalidRequest() {
    Recorder r = chat("#tokens=100001");
    await().atMost(Duration.ofSeconds(5)).until(() -> r.error.get() != null);
    assertThat(r.error.get()).isInstanceOf(InvalidRequestException.class);
    assertThat(r.partials).isEmpty();
  }

  @Test
  void cancellingThroughTheStreamingHandleStopsEveryCallback() {
    AtomicReference<PartialResponseContext> context = new AtomicReference<>();
    Recorder r = new Recorder() {
      @Override
      public void onPartialResponse(PartialResponse partial, PartialResponseContext ctx) {
        super.onPartialResponse(partial, ctx);
        if (partials.size() == 5) {
          ctx.streamingHandle().cancel();
          context.set(ctx);
        }
      }
    };
    model.chat(ChatRequest.builder().messages(UserMessage.from("#tokens=1000 go")).build(), r);
    await().atMost(Duration.ofSeconds(10)).until(() -> context.get() != null);
    // Well past the time 1000 tokens would take at this pace: had cancel not stopped it, it would be complete.
    Recorder later = chat("#tokens=1200 a later stream on the same timer");
    await().atMost(Duration.ofSeconds(20)).until(() -> later.complete.get() != null);
    assertThat(r.partials).hasSize(5);
    assertThat(r.complete.get()).isNull();
    assertThat(r.error.get()).isNull();
    assertThat(context.get().streamingHandle().isCancelled()).isTrue();
  }

  private Recorder chat(String prompt) {
    Recorder r = new Recorder();
    model.chat(ChatRequest.builder().messages(UserMessage.from(prompt)).build(), r);
    return r;
  }

  private static List<String> finished(Recorder r) {
    await().atMost(Duration.ofSeconds(20)).until(() -> r.complete.get() != null);
    return List.copyOf(r.partials);
  }

  private static class Recorder implements StreamingChatResponseHandler {
    final List<String> partials = new CopyOnWriteArrayList<>();
    final AtomicReference<ChatResponse> complete = new AtomicReference<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    @Override
    public void onPartialResponse(PartialResponse partial, PartialResponseContext ctx) {
      partials.add(partial.text());
    }

    @Override
    public void onCompleteResponse(ChatResponse response) {
      complete.set(response);
    }

    @Override
    public void onError(Throwable e) {
      error.set(e);
    }
  }
}
