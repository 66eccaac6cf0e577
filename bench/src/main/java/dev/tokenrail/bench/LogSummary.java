package dev.tokenrail.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What a child process's log says of trouble: counts of WARN and ERROR lines, and the first distinct ones. */
record LogSummary(long warnings, long errors, List<String> firstLines) {

  private static final Pattern LOG_LEVEL = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (WARN |ERROR) \\[[^]]*] (.*)$");

  static LogSummary of(SoakProcesses.Child child) {
    long warnings = 0;
    long errors = 0;
    Set<String> first = new LinkedHashSet<>();
    try (Stream<String> lines = Files.lines(child.log(), StandardCharsets.UTF_8)) {
      for (String line : (Iterable<String>) lines::iterator) {
        Matcher m = LOG_LEVEL.matcher(line);
        if (!m.matches()) {
          continue;
        }
        if (m.group(1).startsWith("WARN")) {
          warnings++;
        } else {
          errors++;
        }
        if (first.size() < 8) {
          String text = m.group(1).trim() + " " + m.group(2);
          first.add(text.length() > 220 ? text.substring(0, 220) + "…" : text);
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      first.add("(log unreadable: " + e.getMessage() + ")");
    }
    return new LogSummary(warnings, errors, List.copyOf(first));
  }
}
