package dev.tokenrail.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Renders a kustomization with {@code kubectl kustomize} — the same build {@code kubectl apply -k} applies, and
 * offline: no cluster is asked. The manifests use kustomize v4+ fields ({@code resources} naming folders,
 * {@code patches}), so it needs kubectl 1.21 or later.
 */
final class Kustomize {

  private Kustomize() {
  }

  /** kubectl on the PATH, if there is one. */
  static Optional<Path> kubectl() {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(java.io.File.pathSeparator)).filter(dir -> !dir.isBlank())
        .map(dir -> Path.of(dir, "kubectl")).filter(Files::isExecutable).findFirst();
  }

  /** The objects {@code kubectl apply -k dir} would apply, as one multi-document YAML text. */
  static String build(Path kubectl, Path dir) {
    try {
      Path out = Files.createTempFile("kustomize", ".yaml");
      Path err = Files.createTempFile("kustomize", ".err");
      try {
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("kubectl kustomize " + dir + " took longer than 60 s");
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
          throw new IllegalStateException("kubectl kustomize " + dir + " failed (it needs kubectl 1.21 or later): "
              + stderr);
        }
        // kustomize warns on stderr about deprecated fields: a team applying these should see no warning.
        if (!stderr.isBlank()) {
          throw new IllegalStateException("kubectl kustomize " + dir + " warned: " + stderr);
        }
        return Files.readString(out, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
