package dev.tokenrail.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The table "ACLs each role needs" in docs/operations.md, read as ACLs: one row per role and operation, the
 * topics (named without the prefix) and groups in backquotes; words outside backquotes are for people.
 */
final class AclTable {

  /** One ACL: a role may do an operation ({@code READ}, {@code DESCRIBE_CONFIGS}, …) on a topic or group. */
  record Acl(String role, String resourceType, String name, String operation) implements Comparable<Acl> {
    @Override
    public int compareTo(Acl o) {
      return toString().compareTo(o.toString());
    }
  }

  private static final String HEADING = "**ACLs each role needs**";
  private static final Pattern QUOTED = Pattern.compile("`([^`]+)`");

  private AclTable() {
  }

  /** Every ACL of the table, topic names with {@code prefix} in front. */
  static Set<Acl> read(Path operationsMd, String prefix) {
    List<String> lines;
    try {
      lines = Files.readAllLines(operationsMd, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int start = lines.indexOf(lines.stream().filter(l -> l.startsWith(HEADING)).findFirst()
        .orElseThrow(() -> new AssertionError(operationsMd + " has no paragraph starting " + HEADING)));
    List<String> rows = new ArrayList<>();
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.startsWith("|")) {
        rows.add(line);
      } else if (!rows.isEmpty()) {
        break; // the table's end
      }
    }
    if (rows.size() < 3 || !rows.get(0).replace(" ", "").equals("|role|operation|topics|group|")) {
      throw new AssertionError("the ACL table in " + operationsMd + " is not | role | operation | topics | group |");
    }
    Set<Acl> acls = new TreeSet<>();
    for (String row : rows.subList(2, rows.size())) {
      String[] cells = row.split("\\|", -1); // "", role, operation, topics, group, ""
      String role = cells[1].trim();
      List<String> operation = quoted(cells[2]);
      if (operation.size() != 1) {
        throw new AssertionError("one operation per row, in backquotes: " + row);
      }
      quoted(cells[3]).forEach(topic -> acls.add(new Acl(role, "topic", prefix + topic, operation.get(0))));
      quoted(cells[4]).forEach(group -> acls.add(new Acl(role, "group", group, operation.get(0))));
    }
    return acls;
  }

  private static List<String> quoted(String cell) {
    Matcher m = QUOTED.matcher(cell);
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }
}
