package dev.tokenrail.gateway.delivery;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where a new SSE stream starts: live from now, or from an offset of the conversation's partition, then
 * live — with a {@code reset} first when part of what was asked for is no longer retained.
 */
public record StreamStart(OptionalLong fromOffset, Optional<String> resetReason) {

  public static StreamStart live() {
    return new StreamStart(OptionalLong.empty(), Optional.empty());
  }

  public static StreamStart from(long offset) {
    return new StreamStart(OptionalLong.of(offset), Optional.empty());
  }

  public static StreamStart afterReset(long offset, String reason) {
    return new StreamStart(OptionalLong.of(offset), Optional.of(reason));
  }
}
