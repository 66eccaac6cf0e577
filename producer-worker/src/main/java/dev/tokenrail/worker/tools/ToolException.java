package dev.tokenrail.worker.tools;

/** A tool failed in a way its caller may read: the message goes to the model (and the user) as the result. */
public final class ToolException extends Exception {

  public ToolException(String message) {
    super(message, null, false, false);
  }
}
