package dev.tokenrail.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Measures a child JVM from outside, as an operator would: the live heap after a full GC and what it is
 * made of ({@code jcmd GC.class_histogram}), metaspace ({@code GC.heap_info}), open file descriptors
 * ({@code /proc/<pid>/fd}), threads and resident memory ({@code /proc/<pid>/status}) and the CPU time it
 * has used. Linux only, like the rest of the soak.
 *
 * <p>Why the histogram and not {@code GC.run} then {@code GC.heap_info}: the second jcmd starts a JVM of its
 * own, and in that half second a process under load allocates tens to hundreds of MB that "used" then
 * counts: the soak's first runs read ~300 MB for the broker+worker under load against ~175 MB idle and after
 * the drain. The histogram's total is counted in the collection's own safepoint.
 */
final class ProcessProbe {

  /** One process at one moment; {@code heapMb} is the histogram's total. Sizes in MB. */
  record Reading(String process, long pid, boolean alive, double heapMb, double metaspaceMb, int fds, int threads,
                 double rssMb, double cpuSeconds, ClassHistogram histogram) {
  }

  private static final Pattern METASPACE_USED = Pattern.compile("Metaspace\\s+used (\\d+)K");

  private ProcessProbe() {
  }

  static Reading read(String name, Process process) throws Exception {
    long pid = process.pid();
    if (!process.isAlive()) {
      return new Reading(name, pid, false, -1, -1, -1, -1, -1, -1, null);
    }
    ClassHistogram classes = ClassHistogram.parse(jcmd(pid, "GC.class_histogram"));
    String heap = jcmd(pid, "GC.heap_info"); // metaspace: what loads of young objects don't move
    String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
    double cpu = process.toHandle().info().totalCpuDuration().map(d -> d.toMillis() / 1000.0).orElse(-1.0);
    return new Reading(name, pid, true, classes.totalBytes() / 1048576.0, kbToMb(find(METASPACE_USED, heap)),
        openFiles(pid), (int) find(Pattern.compile("Threads:\\s+(\\d+)"), status),
        kbToMb(find(Pattern.compile("VmRSS:\\s+(\\d+) kB"), status)), cpu, classes);
  }

  private static int openFiles(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return (int) fds.count();
    }
  }

  private static String jcmd(long pid, String command) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid), command)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + out);
    }
    return out;
  }

  private static long find(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no " + pattern + " in:\n" + text);
    }
    return Long.parseLong(m.group(1));
  }

  private static double kbToMb(long kb) {
    return kb / 1024.0;
  }
}
