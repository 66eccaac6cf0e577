package dev.tokenrail.bench;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live objects by class, from {@code jcmd <pid> GC.class_histogram}, which runs a full GC and then walks the
 * heap in the same safepoint: {@code totalBytes} is the live heap exactly, with nothing allocated since the
 * collection in it. Two histograms — after the warm-up and at the end — say which classes account for a heap
 * that grew, which is what one wants to know next when the slope is not zero.
 */
record ClassHistogram(Map<String, long[]> byClass, long totalBytes) {

  /** A class's live instances and bytes, or their growth between two histograms. */
  record Growth(String className, long instances, long bytes) {
  }

  private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");
  private static final Pattern TOTAL = Pattern.compile("^Total\\s+\\d+\\s+(\\d+)\\s*$");

  static ClassHistogram parse(String jcmdOutput) {
    Map<String, long[]> byClass = new HashMap<>();
    long total = -1;
    for (String line : jcmdOutput.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) { // the module in parentheses is left out: one class name, one row
        byClass.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))},
            (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
      }
      Matcher t = TOTAL.matcher(line);
      if (t.matches()) {
        total = Long.parseLong(t.group(1));
      }
    }
    if (total < 0) {
      throw new IllegalStateException("no Total line in the class histogram:\n" + jcmdOutput);
    }
    return new ClassHistogram(byClass, total);
  }

  /** The {@code top} classes by live bytes: what the heap after a full GC is made of. */
  List<Growth> largest(int top) {
    return byClass.entrySet().stream()
        .map(e -> new Growth(e.getKey(), e.getValue()[0], e.getValue()[1]))
        .sorted(Comparator.comparingLong(Growth::bytes).reversed())
        .limit(top)
        .toList();
  }

  /** The {@code top} classes whose live bytes grew most since {@code before}. */
  List<Growth> growthSince(ClassHistogram before, int top) {
    return byClass.entrySet().stream()
        .map(e -> {
          long[] was = before.byClass().getOrDefault(e.getKey(), new long[2]);
          return new Growth(e.getKey(), e.getValue()[0] - was[0], e.getValue()[1] - was[1]);
        })
        .filter(g -> g.bytes() > 0)
        .sorted(Comparator.comparingLong(Growth::bytes).reversed())
        .limit(top)
        .toList();
  }
}
