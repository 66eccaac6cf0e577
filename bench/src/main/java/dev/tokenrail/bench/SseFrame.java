package dev.tokenrail.bench;

/**
 * One Server-Sent-Events frame as the soak's clients read it: its {@code id:}, {@code event:} and
 * {@code data:} lines. A comment ({@code : ping}) or the opening {@code retry:} hint has no event.
 */
record SseFrame(String id, String event, String data) {

  static SseFrame parse(String frame) {
    String id = null;
    String event = null;
    String data = null;
    for (String line : frame.split("\n")) {
      if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data = line.substring(6);
      }
    }
    return new SseFrame(id, event, data);
  }

  boolean isEvent() {
    return event != null && data != null;
  }
}
