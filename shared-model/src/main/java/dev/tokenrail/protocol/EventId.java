package dev.tokenrail.protocol;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SSE {@code id:} of an event: its position in the events topic. Clients treat the encoded form as
 * opaque and send it back as {@code Last-Event-ID}; {@link #parse} validates it strictly on the way in.
 *
 * <p>Encoded form: {@code 1.<partition>.<offset>}, both numbers in base 36, the leading {@code 1} being the
 * format version — the event is the whole record at that offset, or the last token of a run of tokens stored in
 * one record ({@link StreamEvent.Tokens}). A token before a run's last is {@code 1.<partition>.<offset>.<part>}:
 * the {@code part}-th (0-based) of the record's tokens. Either way the id says what the client has: everything
 * up to that record, and of that record what the id names.
 */
public record EventId(int partition, long offset, int part) {

  /** The {@code part} of an id that names a whole record (or a run's last token). */
  public static final int WHOLE = -1;

  private static final Pattern FORMAT =
      Pattern.compile("1\\.([0-9a-z]{1,6})\\.([0-9a-z]{1,13})(?:\\.([0-9a-z]{1,2}))?");
  private static final int MAX_PARTITION = 1_000_000;

  public EventId {
    if (partition < 0 || partition >= MAX_PARTITION) {
      throw new IllegalArgumentException("partition out of range: " + partition);
    }
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset: " + offset);
    }
    if (part < WHOLE || part >= StreamEvent.Tokens.MAX_TOKENS) {
      throw new IllegalArgumentException("part out of range: " + part);
    }
  }

  /** The id of the whole record at {@code offset}. */
  public EventId(int partition, long offset) {
    this(partition, offset, WHOLE);
  }

  public String encode() {
    String record = "1." + Integer.toString(partition, 36) + "." + Long.toString(offset, 36);
    return part == WHOLE ? record : record + "." + Integer.toString(part, 36);
  }

  /** The first record a client that has this event still needs: this one when it has only part of it. */
  public long nextOffset() {
    return part == WHOLE ? offset + 1 : offset;
  }

  /** How many of the tokens of the record at {@link #nextOffset} the client already has. */
  public int partsHeld() {
    return part == WHOLE ? 0 : part + 1;
  }

  /** The id a client sent back, or empty when it is not one this gateway could have written. */
  public static Optional<EventId> parse(String encoded) {
    if (encoded == null || encoded.length() > 27) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(encoded);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      int partition = Integer.parseInt(m.group(1), 36);
      long offset = Long.parseLong(m.group(2), 36);
      int part = m.group(3) == null ? WHOLE : Integer.parseInt(m.group(3), 36);
      if (partition >= MAX_PARTITION || part >= StreamEvent.Tokens.MAX_TOKENS) {
        return Optional.empty();
      }
      return Optional.of(new EventId(partition, offset, part));
    } catch (NumberFormatException e) { // offset beyond Long.MAX_VALUE
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return encode();
  }
}
