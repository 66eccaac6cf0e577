package dev.tokenrail.gateway.conversations;

import dev.tokenrail.gateway.http.ApiException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * How much of the log one client's lookup may read, and for how long — and whether the client is still
 * there to want the answer. Lookups run one at a time on a shared consumer, so one that could read a
 * whole partition would hold up every replay, cancel and transcript of the gateway behind it.
 *
 * @param maxRecords  records it may read
 * @param maxTime     how long it may read, from when it starts
 * @param abandoned   true once the client has gone: the lookup stops, and one still queued never starts
 */
public record LookupBudget(long maxRecords, Duration maxTime, BooleanSupplier abandoned) {

  /** A lookup from a message's time finds its first event within seconds of the log; this is far more. */
  public static final long DEFAULT_MAX_RECORDS = 200_000;
  public static final Duration DEFAULT_MAX_TIME = Duration.ofSeconds(5);

  /** The default budget of a client's lookup, abandoned when {@code clientGone} says so. */
  public static LookupBudget of(BooleanSupplier clientGone) {
    return new LookupBudget(DEFAULT_MAX_RECORDS, DEFAULT_MAX_TIME, clientGone);
  }

  /** What a lookup that spent its budget fails with. */
  static ApiException spent() {
    return new ApiException(503, "lookup_too_long",
        "Finding that position would read more of the log than one request may; ask for a later one.");
  }

  /** What a lookup whose client left fails with (nobody reads the answer). */
  static ApiException abandonedByClient() {
    return new ApiException(499, "client_gone", "The client went away before the lookup ended.");
  }
}
