package dev.tokenrail.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventIdTest {

  @Test
  void encodedIdsParseBackToTheSamePosition() {
    for (EventId id : new EventId[] {new EventId(0, 0), new EventId(11, 1234567), new EventId(999_999, Long.MAX_VALUE)}) {
      assertThat(EventId.parse(id.encode())).contains(id);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "1.", "1.3", "1.3.", "2.3.4", "1.-3.4", "1.3.-4", "1.3.4.5", "1.A.4", " 1.3.4",
      "1.3.4 ", "1.zzzzzzz.1", "1.3.zzzzzzzzzzzzz", "1.lfls.1", "../../etc", "1.3.4\n"})
  void malformedIdsAreRejected(String raw) {
    assertThat(EventId.parse(raw)).isEmpty();
  }

  @Test
  void nullIsRejected() {
    assertThat(EventId.parse(null)).isEmpty();
  }
}
