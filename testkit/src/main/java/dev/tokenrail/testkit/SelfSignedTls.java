package dev.tokenrail.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * TLS material for a broker on {@code localhost}, made with the JDK's own {@code keytool} (the JDK has no
 * public API that issues certificates): the broker's key and self-signed certificate in a PKCS12 key store,
 * and the certificate as a client trusts it — a PEM file and a JKS trust store, the two forms a team's
 * private CA comes in.
 *
 * @param keyStore          PKCS12, the broker's key and certificate (for {@code localhost} and 127.0.0.1)
 * @param keyStorePassword  for the key store and the key
 * @param certificatePem    the certificate, PEM (a client's {@code ssl.truststore.type=PEM})
 * @param trustStoreJks     the certificate in a JKS trust store
 * @param trustStorePassword for the trust store
 */
public record SelfSignedTls(Path keyStore, String keyStorePassword, Path certificatePem, Path trustStoreJks,
    String trustStorePassword) {

  /** Writes the three files into {@code dir}. */
  public static SelfSignedTls create(Path dir) {
    String keyPassword = UUID.randomUUID().toString();
    String trustPassword = UUID.randomUUID().toString();
    Path keyStore = dir.resolve("broker.p12");
    Path pem = dir.resolve("ca.pem");
    Path trustStore = dir.resolve("truststore.jks");
    keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
        "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", keyPassword);
    keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keyStore.toString(), "-storepass", keyPassword,
        "-file", pem.toString());
    keytool("-importcert", "-noprompt", "-alias", "broker", "-file", pem.toString(),
        "-keystore", trustStore.toString(), "-storetype", "JKS", "-storepass", trustPassword);
    return new SelfSignedTls(keyStore, keyPassword, pem, trustStore, trustPassword);
  }

  private static void keytool(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run keytool", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running keytool", e);
    }
  }
}
