package dev.tokenrail.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProtocolCodecTest {

  private static final String C = "conv-1";
  private static final String M = "msg-1";

  @Test
  void everyEventTypeSurvivesARoundTrip() {
    List<StreamEvent> events = List.of(
        new StreamEvent.Start(C, M, 1, 0, 10, "demo"),
        new StreamEvent.Token(C, M, 1, 1, 11, " hello \"quoted\"\nline"),
        new StreamEvent.Tokens(C, M, 1, 2, 11, List.of(" a", "\"b\"", "", "c\n")),
        new StreamEvent.ToolCall(C, M, 1, 2, 12, "call-1", "calculator", "{\"expression\":\"1+2\"}"),
        new StreamEvent.ToolResult(C, M, 1, 3, 13, "call-1", "calculator", "3", false),
        new StreamEvent.ToolCall(C, M, 1, 3, 13, "call-2", "get_weather", "{\"city\":\"Oslo\"}", true),
        new StreamEvent.Reasoning(C, M, 1, 3, 13, "thinking \"aloud\""),
        new StreamEvent.Usage(C, M, 1, 4, 14, 7, 60),
        new StreamEvent.Done(C, M, 1, 5, 15, " hello", "stop"),
        new StreamEvent.Error(C, M, 2, 1, 16, ErrorCode.RATE_LIMITED, "slow down"),
        new StreamEvent.Cancelled(C, M, 1, 6, 17),
        new StreamEvent.Reset(C, M, 0, 0, 18, "retention"));
    for (StreamEvent event : events) {
      assertThat(ProtocolCodec.decodeEvent(ProtocolCodec.encode(event))).isEqualTo(event);
    }
  }

  @Test
  void aMessageWithoutClientToolsIsEncodedAsBeforeThemSoOlderReadersReadIt() {
    String encoded = ProtocolCodec.encode(new MessageRequest(C, M, "plain", 42)).toString();
    assertThat(encoded).doesNotContain("clientTools");
    String call = ProtocolCodec.encode(new StreamEvent.ToolCall(C, M, 1, 2, 12, "call-1", "calculator", "{}")).toString();
    assertThat(call).doesNotContain("client");
  }

  @Test
  void encodedEventsAreOneLineSoTheyFitInOneSseDataField() {
    Buffer encoded = ProtocolCodec.encode(new StreamEvent.Token(C, M, 1, 1, 11, "a\nb\r\nc"));
    assertThat(encoded.toString()).doesNotContain("\n").doesNotContain("\r");
  }

  @Test
  void everyRequestRecordSurvivesARoundTrip() {
    List<RequestRecord> records = List.of(
        new MessageRequest(C, M, "What is Kafka?", 42),
        new MessageRequest(C, M, "And Vert.x?", 42, java.util.Optional.of(new CompletionOptions(List.of(
            new CompletionOptions.Prior("system", "Be brief."), new CompletionOptions.Prior("user", "What is Kafka?"),
            new CompletionOptions.Prior("assistant", "A log.")), java.util.Optional.of(0.2), java.util.Optional.of(64)))),
        new MessageRequest(C, M, "Defaults", 42, java.util.Optional.of(new CompletionOptions(List.of(),
            java.util.Optional.empty(), java.util.Optional.empty()))),
        new MessageRequest(C, M, "", 42, java.util.Optional.of(new CompletionOptions(List.of(
            new CompletionOptions.Prior("user", "Weather?"),
            new CompletionOptions.Prior("assistant", "", List.of(new CompletionOptions.ToolCallRef("call-1", "get_weather",
                "{}")), null),
            new CompletionOptions.Prior("tool", "sunny", List.of(), "call-1")),
            java.util.Optional.empty(), java.util.Optional.empty())),
            new ClientTools(List.of(new ClientTools.Definition("get_weather", "The weather", "{\"type\":\"object\"}")),
                "get_weather", List.of(new ClientTools.Result("call-2", "", "{\"t\":21}", true)))),
        new RequestRecord.Cancel(C, M, 43),
        new RequestRecord.Started(C, M, 2, 44),
        new RequestRecord.Ended(C, M, 2, "done", 45),
        new RequestRecord.Delete(C, List.of(ConversationIds.newMessageId(1_000), "01a21432-0000-7000-8000-000000000000"), 46),
        new RequestRecord.Delete(C, List.of(), 47));
    for (RequestRecord record : records) {
      assertThat(ProtocolCodec.decodeRequest(ProtocolCodec.encode(record))).isEqualTo(record);
    }
  }

  @Test
  void memoryTurnsSurviveARoundTripAndTheirKeysNameTheConversation() {
    Turn pending = Turn.pending(new MessageRequest(C, M, "What is 2+3?", 42), 7);
    Turn done = pending.ended(Turn.Status.DONE, "It is 5.",
        List.of(new Turn.ToolUse("call-1", "calculator", "{\"expression\":\"2+3\"}", "5", false, 0)), 2);
    assertThat(ProtocolCodec.decodeTurn(ProtocolCodec.encode(pending))).isEqualTo(pending);
    assertThat(ProtocolCodec.decodeTurn(ProtocolCodec.encode(done))).isEqualTo(done);
    assertThat(Turn.conversationKeyOf(Turn.memoryKey("tenant/with/slashes", M))).contains("tenant/with/slashes");
    assertThat(Turn.conversationKeyOf("no-slash")).isEmpty();
  }

  @Test
  void aTurnWithAnUnknownStatusOrMalformedToolCallsIsATypedError() {
    String turn = new String(ProtocolCodec.encode(Turn.pending(new MessageRequest(C, M, "hi", 1), 0)).getBytes());
    assertThatThrownBy(() -> ProtocolCodec.decodeTurn(Buffer.buffer(turn.replace("\"pending\"", "\"lost\""))))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("lost");
    assertThatThrownBy(() -> ProtocolCodec.decodeTurn(Buffer.buffer(turn.replace("\"toolCalls\":[]", "\"toolCalls\":[1]"))))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("toolCalls");
  }

  @Test
  void aRunOfTokensStandsForItsTokensInOrderWithConsecutiveSeqs() {
    StreamEvent.Tokens run = new StreamEvent.Tokens(C, M, 2, 7, 99, List.of("x", "y", "z"));
    assertThat(run.tokens()).containsExactly(new StreamEvent.Token(C, M, 2, 7, 99, "x"),
        new StreamEvent.Token(C, M, 2, 8, 99, "y"), new StreamEvent.Token(C, M, 2, 9, 99, "z"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"texts\":[]", "\"texts\":\"x\"", "\"texts\":[\"a\",1]", "\"texts\":[\"a\",[\"b\"]]",
      "\"texts\":[{\"a\":1}]", "\"texts\":null", "\"text\":\"a\""})
  void aRunWithoutTokensOrWithOtherThanStringsIsATypedError(String texts) {
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(
        "{\"type\":\"tokens\",\"conversationId\":\"c\",\"messageId\":\"m\",\"attempt\":1,\"seq\":0,\"ts\":1," + texts + "}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("'texts'");
  }

  @Test
  void aRunLongerThanTheCapIsATypedError() {
    String texts = "\"a\",".repeat(StreamEvent.Tokens.MAX_TOKENS) + "\"a\"";
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(
        "{\"type\":\"tokens\",\"conversationId\":\"c\",\"messageId\":\"m\",\"attempt\":1,\"seq\":0,\"ts\":1,\"texts\":["
            + texts + "]}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("'texts'");
  }

  @Test
  void unknownEventTypeIsATypedError() {
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(
        "{\"type\":\"sparkle\",\"conversationId\":\"c\",\"messageId\":\"m\",\"attempt\":1,\"seq\":0,\"ts\":1}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unknown event type 'sparkle'");
  }

  @Test
  void missingFieldIsATypedErrorNamingTheField() {
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(
        "{\"type\":\"token\",\"conversationId\":\"c\",\"messageId\":\"m\",\"attempt\":1,\"seq\":0,\"ts\":1}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("missing field 'text'");
  }

  @Test
  void fieldOfTheWrongTypeIsATypedError() {
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(
        "{\"type\":\"token\",\"conversationId\":\"c\",\"messageId\":\"m\",\"attempt\":\"one\",\"seq\":0,\"ts\":1,\"text\":\"x\"}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("'attempt'");
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(
        "{\"type\":\"token\",\"conversationId\":\"c\",\"messageId\":\"m\",\"attempt\":1.5,\"seq\":0,\"ts\":1,\"text\":\"x\"}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("must be an integer");
  }

  @Test
  void unknownErrorCodeIsATypedError() {
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(
        "{\"type\":\"error\",\"conversationId\":\"c\",\"messageId\":\"m\",\"attempt\":1,\"seq\":0,\"ts\":1,"
            + "\"code\":\"oops\",\"message\":\"m\"}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unknown error code 'oops'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not json", "[1,2]", "\"text\"", "42", "null", "{\"type\":", "{}"})
  void malformedRecordsAreTypedErrors(String raw) {
    assertThatThrownBy(() -> ProtocolCodec.decodeEvent(Buffer.buffer(raw))).isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> ProtocolCodec.decodeRequest(Buffer.buffer(raw))).isInstanceOf(ProtocolException.class);
  }

  @Test
  void requestOfAnUnknownTypeIsATypedError() {
    assertThatThrownBy(() -> ProtocolCodec.decodeRequest(Buffer.buffer(
        "{\"type\":\"shout\",\"conversationId\":\"c\",\"messageId\":\"m\",\"text\":\"x\",\"ts\":1}")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unknown request type 'shout'");
  }
}
