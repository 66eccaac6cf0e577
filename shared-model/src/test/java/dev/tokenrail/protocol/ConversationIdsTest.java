package dev.tokenrail.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConversationIdsTest {

  @ParameterizedTest
  @ValueSource(strings = {"a", "chat_42", "A-b_C-9", "0123456789012345678901234567890123456789012345678901234567890123"})
  void validIds(String id) {
    assertThat(ConversationIds.isValid(id)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "dot.dot", "slash/", "ünïcode", "01234567890123456789012345678901234567890123456789012345678901234"})
  void invalidIds(String id) {
    assertThat(ConversationIds.isValid(id)).isFalse();
  }

  @Test
  void newMessageIdsAreValidIdsToo() {
    assertThat(ConversationIds.isValid(ConversationIds.newMessageId())).isTrue();
  }

  @Test
  void messageIdsCarryTheMillisecondTheyWereMadeIn() {
    long t = 1_795_631_180_788L;
    String id = ConversationIds.newMessageId(t);
    assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    assertThat(ConversationIds.acceptedAt(id)).hasValue(t);
    assertThat(ConversationIds.newMessageId(t)).isNotEqualTo(id);
  }

  @Test
  void idsNotMadeByTokenrailHaveNoTime() {
    assertThat(ConversationIds.acceptedAt("f7f3e418-4321-41ac-a77b-11758248ddea")).isEmpty(); // UUIDv4
    assertThat(ConversationIds.acceptedAt("not-an-id")).isEmpty();
    assertThat(ConversationIds.acceptedAt(null)).isEmpty();
  }

  @Test
  void statelessConversationsAreRecognisableFromTheirIdAloneWithOrWithoutASubject() {
    String id = ConversationIds.newStatelessId();
    assertThat(ConversationIds.isValid(id)).isTrue();
    assertThat(ConversationIds.isStateless(id)).isTrue();
    assertThat(ConversationIds.isStateless(ConversationIds.conversationIdOf(ConversationIds.kafkaKey("alice", id)))).isTrue();
    assertThat(ConversationIds.conversationIdOf(ConversationIds.kafkaKey(id))).isEqualTo(id);
    assertThat(ConversationIds.isStateless("chat-1")).isFalse();
    assertThat(ConversationIds.isStateless("my-chat")).isFalse();
    assertThat(ConversationIds.isStateless(id.toUpperCase())).isFalse();
  }
}
