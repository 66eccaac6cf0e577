package dev.tokenrail.it;

import java.nio.file.Path;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * The images the container tests run. Names are configuration whose defaults are the official images;
 * machines without a registry set {@code TOKENRAIL_KAFKA_IMAGE} and {@code TOKENRAIL_BASE_IMAGE} to the
 * stand-ins of {@code scripts/build-images.sh}. Worker and gateway images are built from the modules'
 * own Dockerfiles and jars, so the tests always run the code of this checkout.
 */
final class Images {

  private Images() {
  }

  static DockerImageName kafka() {
    return DockerImageName.parse(env("TOKENRAIL_KAFKA_IMAGE", "apache/kafka:4.1.1")).asCompatibleSubstituteFor("apache/kafka");
  }

  static ImageFromDockerfile fromModule(String module) {
    Path dir = Path.of("..", module).toAbsolutePath().normalize();
    return new ImageFromDockerfile("tokenrail/" + module + "-it", false)
        .withFileFromPath("Dockerfile", dir.resolve("Dockerfile"))
        .withFileFromPath("target/" + module + ".jar", dir.resolve("target/" + module + ".jar"))
        .withBuildArg("BASE_IMAGE", env("TOKENRAIL_BASE_IMAGE", "eclipse-temurin:17-jre"));
  }

  private static String env(String name, String defaultValue) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? defaultValue : v;
  }
}
