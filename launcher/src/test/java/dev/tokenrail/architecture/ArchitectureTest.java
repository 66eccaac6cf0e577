package dev.tokenrail.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules that keep the code's rooms apart: which package may use which, no cycles between packages, no
 * class of one service used by another, a sentence per package saying what lives there, and no main class
 * that grows long without saying why. {@code docs/architecture.md} draws the same map.
 */
class ArchitectureTest {

  private static final String PROTOCOL = "dev.tokenrail.protocol..";
  private static final String RUNTIME = "dev.tokenrail.runtime..";
  private static final String GATEWAY = "dev.tokenrail.gateway";
  private static final String WORKER = "dev.tokenrail.worker";

  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.tokenrail");
    assertThat(main.stream().map(c -> c.getPackageName()).distinct())
        .as("the import sees every module's classes").contains(GATEWAY + ".delivery", WORKER + ".generation",
            "dev.tokenrail.protocol", "dev.tokenrail.runtime", "dev.tokenrail.launcher");
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("dev.tokenrail.(**)").should().beFreeOfCycles().check(main);
  }

  @Test
  void theProtocolDependsOnNothingOfTokenrail() {
    mayOnlyUse("dev.tokenrail.protocol..");
  }

  @Test
  void theRuntimeDependsOnlyOnTheProtocol() {
    mayOnlyUse("dev.tokenrail.runtime..", PROTOCOL);
  }

  @Test
  void servicesDoNotUseEachOther() {
    noClasses().that().resideInAPackage(WORKER + "..").should().dependOnClassesThat()
        .resideInAnyPackage(GATEWAY + "..", "dev.tokenrail.launcher..", "dev.tokenrail.kafka..").check(main);
    noClasses().that().resideInAPackage(GATEWAY + "..").should().dependOnClassesThat()
        .resideInAnyPackage(WORKER + "..", "dev.tokenrail.launcher..", "dev.tokenrail.kafka..").check(main);
  }

  /** The gateway's rooms, from the bottom up; the verticle's own package wires them and nothing calls back into it. */
  @Test
  void gatewayPackagesUseOnlyTheRoomsBelowThem() {
    mayOnlyUse(GATEWAY + ".http..", PROTOCOL, RUNTIME);
    mayOnlyUse(GATEWAY + ".access..", PROTOCOL, RUNTIME, GATEWAY + ".http..");
    mayOnlyUse(GATEWAY + ".groups..", PROTOCOL, RUNTIME, GATEWAY + ".http..");
    mayOnlyUse(GATEWAY + ".conversations..", PROTOCOL, RUNTIME, GATEWAY + ".http..");
    mayOnlyUse(GATEWAY + ".delivery..", PROTOCOL, RUNTIME, GATEWAY + ".http..", GATEWAY + ".conversations..");
    String[] apiMayUse = {PROTOCOL, RUNTIME, GATEWAY + ".http..", GATEWAY + ".access..", GATEWAY + ".groups..",
        GATEWAY + ".conversations..", GATEWAY + ".delivery.."};
    mayOnlyUse(GATEWAY + ".api..", apiMayUse);
    mayOnlyUse(GATEWAY + ".openai..", apiMayUse);
    mayOnlyUse(GATEWAY + ".aisdk..", apiMayUse);
  }

  /** The worker's rooms: the verticle (consumer, assignment, commits) over partition tasks over generations. */
  @Test
  void workerPackagesUseOnlyTheRoomsBelowThem() {
    mayOnlyUse(WORKER + ".tools..", PROTOCOL, RUNTIME);
    mayOnlyUse(WORKER + ".model..", PROTOCOL, RUNTIME);
    mayOnlyUse(WORKER + ".memory..", PROTOCOL, RUNTIME);
    mayOnlyUse(WORKER + ".generation..", PROTOCOL, RUNTIME, WORKER + ".memory..", WORKER + ".model..",
        WORKER + ".tools..");
    mayOnlyUse(WORKER + ".partition..", PROTOCOL, RUNTIME, WORKER + ".generation..", WORKER + ".memory..",
        WORKER + ".model..", WORKER + ".tools..");
  }

  @Test
  void everyPackageSaysWhatLivesThere() throws IOException {
    List<Path> missing = new ArrayList<>();
    try (Stream<Path> files = Files.walk(repositoryRoot())) {
      files.map(p -> repositoryRoot().relativize(p))
          .filter(p -> p.toString().replace('\\', '/').contains("/src/main/java/") && !p.startsWith("target")
              && !p.toString().replace('\\', '/').contains("/target/"))
          .filter(p -> p.getFileName().toString().endsWith(".java"))
          .map(Path::getParent).distinct()
          .filter(dir -> !Files.exists(repositoryRoot().resolve(dir).resolve("package-info.java")))
          .forEach(missing::add);
    }
    assertThat(missing).as("source folders without a package-info.java").isEmpty();
  }

  /** A long class is a sign it does two jobs; one that must be long says why in its first comment. */
  @Test
  void noMainClassGrowsPastAboutThreeHundredLinesWithoutSayingWhy() throws IOException {
    List<String> unexplained = new ArrayList<>();
    try (Stream<Path> files = Files.walk(repositoryRoot())) {
      for (Path p : files.filter(f -> f.toString().replace('\\', '/').contains("/src/main/java/")
          && f.toString().endsWith(".java")).toList()) {
        List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        if (lines.size() > 300 && lines.stream().limit(60).noneMatch(l -> l.contains("Longer than 300 lines because"))) {
          unexplained.add(repositoryRoot().relativize(p) + " (" + lines.size() + " lines)");
        }
      }
    }
    assertThat(unexplained).as("main classes over 300 lines with no 'Longer than 300 lines because' in their header")
        .isEmpty();
  }

  private static void mayOnlyUse(String packages, String... allowed) {
    classes().that().resideInAPackage(packages).should().onlyDependOnClassesThat(
            not(resideInAPackage("dev.tokenrail..")).or(resideInAPackage(packages)).or(resideInAnyPackage(allowed)))
        .because("each package uses only the rooms below it (docs/architecture.md)")
        .check(main);
  }

  /** Surefire runs the launcher module's tests in launcher/; the repository is the folder above with the wrapper. */
  private static Path repositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    Path root = Files.exists(here.resolve("mvnw")) ? here : here.getParent();
    assertThat(root.resolve("sse-gateway/src/main/java")).as("the repository root").isDirectory();
    return root;
  }
}
