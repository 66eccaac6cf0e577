package dev.tokenrail.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventIdTest {

  @Test
  void encodedIdsParseBackToTheSamePosition() {
    for (EventId id : new EventId[] {new EventId(0, 0), new EventId(11, 1234567), new EventId(999_999, Long.MAX_VALUE),
        new EventId(11, 1234567, 0), new EventId(999_999, Long.MAX_VALUE, StreamEvent.Tokens.MAX_TOKENS - 1)}) {
      assertThat(EventId.parse(id.encode())).contains(id);
    }
  }

  @Test
  void aWholeRecordIsThreeFieldsAndATokenInsideARunNamesItsPart() {
    assertThat(new EventId(11, 36).encode()).isEqualTo("1.b.10");
    assertThat(new EventId(11, 36, 12).encode()).isEqualTo("1.b.10.c");
    assertThat(EventId.parse("1.b.10.c")).contains(new EventId(11, 36, 12));
  }

  @Test
  void theIdSaysWhereTheClientResumes() {
    EventId whole = new EventId(3, 40);
    assertThat(whole.nextOffset()).isEqualTo(41);
    assertThat(whole.partsHeld()).isZero();
    EventId second = new EventId(3, 40, 1); // the run's first two tokens are held
    assertThat(second.nextOffset()).isEqualTo(40);
    assertThat(second.partsHeld()).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "1.", "1.3", "1.3.", "2.3.4", "1.-3.4", "1.3.-4", "1.3.4.", "1.3.4.zzz", "1.3.4.-1", "1.3.4.A", "1.3.4.zz", "1.3.4.5.6", "1.A.4", " 1.3.4",
      "1.3.4 ", "1.zzzzzzz.1", "1.3.zzzzzzzzzzzzz", "1.lfls.1", "../../etc", "1.3.4\n"})
  void malformedIdsAreRejected(String raw) {
    assertThat(EventId.parse(raw)).isEmpty();
  }

  @Test
  void nullIsRejected() {
    assertThat(EventId.parse(null)).isEmpty();
  }
}
