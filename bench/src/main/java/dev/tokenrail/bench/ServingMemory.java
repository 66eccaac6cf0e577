package dev.tokenrail.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The memory of serving processes, read from outside as an operator would: {@code /proc} and {@code jcmd}. */
final class ServingMemory {

  private ServingMemory() {
  }

  /** Proportional set size, summed: shared pages counted once across the processes. */
  static long pss(List<Long> pids) throws IOException {
    long kb = 0;
    for (long pid : pids) {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
        if (line.startsWith("Pss:")) {
          kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    }
    return kb * 1024;
  }

  /** The live heap: a full collection, then the heap's {@code used}. */
  static long liveHeap(long pid) throws Exception {
    jcmd(pid, "GC.run");
    java.util.regex.Matcher used = java.util.regex.Pattern.compile("used (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
    if (!used.find()) {
      throw new IllegalStateException("no heap figure from jcmd GC.heap_info");
    }
    return Long.parseLong(used.group(1)) * 1024;
  }

  private static String jcmd(long pid, String command) throws Exception {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid), command).redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    jcmd.waitFor();
    return out;
  }
}
