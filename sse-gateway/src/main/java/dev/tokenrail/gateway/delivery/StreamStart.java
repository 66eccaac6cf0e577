package dev.tokenrail.gateway.delivery;

import dev.tokenrail.protocol.EventId;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where a new SSE stream starts: live from now, or from an offset of the conversation's partition, then
 * live — with a {@code reset} first when part of what was asked for is no longer retained. {@code partsHeld}
 * events of the record at {@code fromOffset} are skipped: the client has them (it resumes inside a run of tokens).
 */
public record StreamStart(OptionalLong fromOffset, int partsHeld, Optional<String> resetReason) {

  public static StreamStart live() {
    return new StreamStart(OptionalLong.empty(), 0, Optional.empty());
  }

  public static StreamStart from(long offset) {
    return new StreamStart(OptionalLong.of(offset), 0, Optional.empty());
  }

  /** Right after the event {@code id} names. */
  public static StreamStart after(EventId id) {
    return new StreamStart(OptionalLong.of(id.nextOffset()), id.partsHeld(), Optional.empty());
  }

  public static StreamStart afterReset(long offset, String reason) {
    return new StreamStart(OptionalLong.of(offset), 0, Optional.of(reason));
  }
}
