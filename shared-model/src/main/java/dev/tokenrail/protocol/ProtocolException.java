package dev.tokenrail.protocol;

/** A record or message that is not valid protocol v1: malformed JSON, an unknown type, a missing field. */
public final class ProtocolException extends RuntimeException {

  public ProtocolException(String message) {
    super(message);
  }

  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
