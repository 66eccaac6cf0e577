package dev.tokenrail.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** CPU seconds (user + system) each child process has used so far, from {@code /proc/<pid>/stat} (Linux). */
final class CpuTime {

  /** Clock ticks a second, as {@code getconf CLK_TCK} says on Linux. */
  private static final double TICKS_PER_SECOND = 100.0;

  private CpuTime() {
  }

  static Map<String, Double> of(List<SoakProcesses.Child> children) throws IOException {
    Map<String, Double> seconds = new LinkedHashMap<>();
    for (SoakProcesses.Child child : children) {
      seconds.put(child.name(), of(child.pid()));
    }
    return seconds;
  }

  static double of(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // After the command name in parentheses (which may hold spaces): state is field 3, utime 14, stime 15.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
  }
}
