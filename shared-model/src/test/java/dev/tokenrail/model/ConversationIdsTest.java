package dev.tokenrail.model;

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
}
