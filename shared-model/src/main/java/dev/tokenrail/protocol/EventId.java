package dev.tokenrail.protocol;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SSE {@code id:} of an event: its position in the events topic. Clients treat the encoded form as
 * opaque and send it back as {@code Last-Event-ID}; {@link #parse} validates it strictly on the way in.
 *
 * <p>Encoded form: {@code 1.<partition>.<offset>}, both numbers in base 36, the leading {@code 1} being the
 * format version.
 */
public record EventId(int partition, long offset) {

  private static final Pattern FORMAT = Pattern.compile("1\\.([0-9a-z]{1,6})\\.([0-9a-z]{1,13})");
  private static final int MAX_PARTITION = 1_000_000;

  public EventId {
    if (partition < 0 || partition >= MAX_PARTITION) {
      throw new IllegalArgumentException("partition out of range: " + partition);
    }
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset: " + offset);
    }
  }

  public String encode() {
    return "1." + Integer.toString(partition, 36) + "." + Long.toString(offset, 36);
  }

  /** The id a client sent back, or empty when it is not one this gateway could have written. */
  public static Optional<EventId> parse(String encoded) {
    if (encoded == null || encoded.length() > 24) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(encoded);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      int partition = Integer.parseInt(m.group(1), 36);
      long offset = Long.parseLong(m.group(2), 36);
      if (partition >= MAX_PARTITION) {
        return Optional.empty();
      }
      return Optional.of(new EventId(partition, offset));
    } catch (NumberFormatException e) { // offset beyond Long.MAX_VALUE
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return encode();
  }
}
