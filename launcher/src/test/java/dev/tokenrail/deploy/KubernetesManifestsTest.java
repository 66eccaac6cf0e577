package dev.tokenrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenrail.deploy.AclTable.Acl;
import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.worker.WorkerConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/kubernetes checked against the code, without a cluster: each overlay is rendered as
 * {@code kubectl apply -k} would apply it, every object is read into its typed schema, and then what the
 * objects say — the variables a container is given, its ports and probe paths, selectors, grace periods,
 * the autoscaler's ceiling, network policies, the Ingress, Strimzi's topics and users — is compared with
 * what the code reads, serves and names. Needs kubectl (1.21 or later); without it the class is skipped,
 * saying so, and .ci/run fails on the skip.
 */
@DisplayName("deploy/kubernetes agrees with the code")
class KubernetesManifestsTest {

  private static final List<String> APP_OVERLAYS = List.of("dev", "production");
  /** Names of settings whose values are secrets: they must come from Secret objects. */
  private static final Pattern SECRET_NAME = Pattern.compile(".*(SECRET|API_KEY|PASSWORD|JAAS).*");
  /** What a test puts where a Secret's value would be: 32 characters or more, as the JWT secret must have. */
  private static final String SECRET_STAND_IN = "stand-in-for-a-secret-value-0123456789";
  private static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private static Path repository;
  private static final Map<String, Manifests> rendered = new TreeMap<>();
  private static Path emptyPropertiesFile;

  @BeforeAll
  static void renderEveryKustomization() throws IOException {
    Optional<Path> kubectl = Kustomize.kubectl();
    assumeTrue(kubectl.isPresent(), "Kubernetes manifest tests skipped: no kubectl on the PATH (kubectl 1.21 or"
        + " later renders deploy/kubernetes offline; Debian's kubernetes-client, 1.20, is too old)");
    repository = repositoryRoot();
    Path deploy = repository.resolve("deploy/kubernetes");
    for (String overlay : APP_OVERLAYS) {
      rendered.put(overlay, Manifests.parse(overlay, Kustomize.build(kubectl.get(), deploy.resolve("overlays/" + overlay))));
    }
    rendered.put("strimzi", Manifests.parse("strimzi", Kustomize.build(kubectl.get(), deploy.resolve("strimzi"))));
    emptyPropertiesFile = Files.createTempFile("kafka", ".properties");
    emptyPropertiesFile.toFile().deleteOnExit();
  }

  // ---- schema

  @Test
  void everyObjectIsOfAKnownKindAndHasOnlyFieldsItsSchemaKnows() {
    List<String> problems = new ArrayList<>();
    rendered.values().forEach(m -> problems.addAll(m.schemaProblems()));
    assertThat(problems).as("unknown kinds and fields").isEmpty();
    assertThat(rendered.get("production").objects()).extracting(o -> o.getKind()).contains("Deployment", "Service",
        "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Ingress", "ServiceMonitor", "ConfigMap");
    assertThat(rendered.get("strimzi").objects()).extracting(o -> o.getKind()).containsOnly("KafkaTopic", "KafkaUser");
  }

  // ---- selectors

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void selectorsSelectThePodsTheyAreFor(String overlay) {
    Manifests m = rendered.get(overlay);
    for (Role role : Role.values()) {
      Deployment d = m.one(Deployment.class, role.deployment);
      Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
      assertThat(podLabels).as("%s pods' component label", role).containsEntry("app.kubernetes.io/component", role.component);
      assertThat(selects(d.getSpec().getSelector(), podLabels)).as("%s selects its own pods", d.getMetadata().getName())
          .isTrue();
      d.getSpec().getTemplate().getSpec().getTopologySpreadConstraints().forEach(c -> assertThat(deploymentsSelected(m,
          c.getLabelSelector())).as("%s spreads its own pods", role).containsExactly(role.deployment));
      assertThat(m.all(PodDisruptionBudget.class)).as("%s has one disruption budget", role)
          .filteredOn(pdb -> deploymentsSelected(m, pdb.getSpec().getSelector()).contains(role.deployment)).hasSize(1);
    }
    for (Service s : m.all(Service.class)) {
      assertThat(deploymentsSelected(m, new LabelSelector(null, s.getSpec().getSelector())))
          .as("Service %s selects the pods of one Deployment", s.getMetadata().getName()).hasSize(1);
    }
    for (PodDisruptionBudget pdb : m.all(PodDisruptionBudget.class)) {
      assertThat(deploymentsSelected(m, pdb.getSpec().getSelector()))
          .as("PodDisruptionBudget %s selects the pods of one Deployment", pdb.getMetadata().getName()).hasSize(1);
    }
    for (HorizontalPodAutoscaler hpa : m.all(HorizontalPodAutoscaler.class)) {
      assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
      m.one(Deployment.class, hpa.getSpec().getScaleTargetRef().getName());
    }
    for (NetworkPolicy p : m.all(NetworkPolicy.class)) {
      assertThat(deploymentsSelected(m, p.getSpec().getPodSelector()))
          .as("NetworkPolicy %s selects some pods", p.getMetadata().getName()).isNotEmpty();
    }
  }

  // ---- settings

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void everyVariableAContainerIsGivenIsOneItsCodeReads(String overlay) {
    for (Role role : Role.values()) {
      Environment env = environment(rendered.get(overlay), role);
      Set<String> read = SettingsRead.names(role.fromEnv, env.forCode(), repository.resolve(role.mainSource));
      assertThat(read).as("%s's code reads its settings (the recording works)", role)
          .contains("KAFKA_BOOTSTRAP_SERVERS", "TOKENRAIL_PARTITIONS");
      Map<String, String> unread = new TreeMap<>();
      env.origin.forEach((name, origin) -> {
        if (!read.contains(name) && !name.startsWith(KafkaSettings.CLIENT_PROPERTY_PREFIX)) {
          unread.put(name, origin);
        }
      });
      assertThat(unread).as("%s: variables %s's code never reads (a typo, or a setting of the other role)", overlay, role)
          .isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void kafkaClientVariablesNameRealClientSettings(String overlay) {
    Set<String> known = new TreeSet<>(ProducerConfig.configNames());
    known.addAll(ConsumerConfig.configNames());
    known.addAll(AdminClientConfig.configNames());
    for (Role role : Role.values()) {
      Environment env = environment(rendered.get(overlay), role);
      long given = env.values.keySet().stream().filter(n -> n.startsWith(KafkaSettings.CLIENT_PROPERTY_PREFIX)).count();
      // The code's own mapping (TOKENRAIL_KAFKA_CLIENT_SASL_MECHANISM -> sasl.mechanism), not a copy of it.
      Map<String, String> properties = role.kafka(new Env(env.forCode())).clientProperties();
      assertThat(properties).as("%s: one client property per %s variable", role, KafkaSettings.CLIENT_PROPERTY_PREFIX)
          .hasSize((int) given);
      assertThat(properties.keySet()).as("%s %s: client properties no Kafka client knows", overlay, role)
          .allMatch(known::contains);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void secretsComeOnlyFromSecretObjects(String overlay) {
    Manifests m = rendered.get(overlay);
    for (Role role : Role.values()) {
      Environment env = environment(m, role);
      env.values.keySet().stream().filter(n -> SECRET_NAME.matcher(n).matches()).forEach(name ->
          assertThat(env.fromSecrets).as("%s %s: %s comes from a Secret (it is %s)", overlay, role, name,
              env.origin.get(name)).contains(name));
      // Files the code or the Kafka clients open: on a Secret volume, where credentials and CAs come from.
      KafkaSettings kafka = role.kafka(new Env(env.forCode()));
      List<String> files = new ArrayList<>();
      Optional.ofNullable(env.values.get("TOKENRAIL_KAFKA_PROPERTIES_FILE")).ifPresent(files::add);
      kafka.clientProperties().forEach((name, value) -> {
        if (name.endsWith(".location")) {
          files.add(value);
        }
      });
      Deployment d = m.one(Deployment.class, role.deployment);
      files.forEach(file -> assertThat(secretFile(d, file)).as("%s %s: %s is a file of a mounted Secret", overlay, role,
          file).isTrue());
    }
    for (ConfigMap cm : m.all(ConfigMap.class)) {
      cm.getData().forEach((key, value) -> {
        assertThat(SECRET_NAME.matcher(key).matches()).as("ConfigMap %s holds a secret, %s", cm.getMetadata().getName(), key)
            .isFalse();
        assertThat(value).as("ConfigMap %s's %s", cm.getMetadata().getName(), key).doesNotContainIgnoringCase("password");
      });
    }
  }

  // ---- ports, probes, stopping

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void containersListenWhereTheCodeListensAndProbesAskWhatItServes(String overlay) {
    Manifests m = rendered.get(overlay);
    for (Role role : Role.values()) {
      Deployment d = m.one(Deployment.class, role.deployment);
      Container c = onlyContainer(d);
      int port = role.port(new Env(environment(m, role).forCode()));
      assertThat(c.getPorts()).as("%s declares the one port it serves", role).extracting(ContainerPort::getContainerPort)
          .containsExactly(port);
      Set<String> served = role.servedPaths(repository);
      for (Probe probe : List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe())) {
        assertThat(probe.getHttpGet()).as("%s probes over HTTP", role).isNotNull();
        assertThat(containerPort(c, probe.getHttpGet().getPort())).as("%s probe's port", role).isEqualTo(port);
        assertThat(served).as("paths %s serves", role).contains(probe.getHttpGet().getPath());
      }
      assertThat(c.getReadinessProbe().getHttpGet().getPath()).as("%s readiness", role).isEqualTo("/ready");
      // A liveness probe that asks Kafka would restart every pod during a Kafka outage, which they ride out.
      assertThat(c.getLivenessProbe().getHttpGet().getPath()).as("%s liveness", role).isEqualTo("/health");
      for (Service s : servicesOf(m, d)) {
        for (ServicePort sp : s.getSpec().getPorts()) {
          assertThat(containerPort(c, sp.getTargetPort())).as("Service %s port %s reaches %s's port",
              s.getMetadata().getName(), sp.getName(), role).isEqualTo(port);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void stoppingPodsAreGivenLongerThanTheirWorkTakes(String overlay) {
    Manifests m = rendered.get(overlay);
    Deployment worker = m.one(Deployment.class, Role.WORKER.deployment);
    long drain = WorkerConfig.fromEnv(new Env(environment(m, Role.WORKER).forCode()), "x").drainTimeout().toSeconds();
    // After the drain a worker commits, leaves the group and closes its clients: 10 s more at least.
    assertThat(gracePeriod(worker)).as("worker's grace period against its drain of %d s", drain)
        .isGreaterThanOrEqualTo(drain + 10);

    Deployment gateway = m.one(Deployment.class, Role.GATEWAY.deployment);
    Container c = onlyContainer(gateway);
    assertThat(c.getLifecycle().getPreStop().getSleep()).as("the gateway's preStop pause").isNotNull();
    long pause = c.getLifecycle().getPreStop().getSleep().getSeconds();
    assertThat(pause).as("the pause lets load balancers hear of the stop first").isGreaterThanOrEqualTo(5);
    assertThat(gracePeriod(gateway)).as("gateway's grace period: its pause, then closing streams and Kafka clients")
        .isGreaterThanOrEqualTo(pause + 10);
  }

  // ---- scaling

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void workersScaleNoFurtherThanThePartitionsAndDisruptionsTakeOneAtATime(String overlay) {
    Manifests m = rendered.get(overlay);
    WorkerConfig config = WorkerConfig.fromEnv(new Env(environment(m, Role.WORKER).forCode()), "x");
    HorizontalPodAutoscaler hpa = m.all(HorizontalPodAutoscaler.class).stream()
        .filter(h -> h.getSpec().getScaleTargetRef().getName().equals(Role.WORKER.deployment)).findFirst()
        .orElseThrow(() -> new AssertionError("no autoscaler for the workers"));
    // Each worker verticle is one member of the group, and a member beyond the partition count owns nothing.
    assertThat(hpa.getSpec().getMaxReplicas() * config.instances()).as("group members at most, against %d partitions",
        config.kafka().partitions()).isLessThanOrEqualTo(config.kafka().partitions());
    assertThat(hpa.getSpec().getMinReplicas()).isBetween(1, hpa.getSpec().getMaxReplicas());
    assertThat(m.one(Deployment.class, Role.WORKER.deployment).getSpec().getReplicas())
        .as("the workers' count is the autoscaler's: one in the Deployment would reset it at every apply").isNull();
    for (PodDisruptionBudget pdb : m.all(PodDisruptionBudget.class)) {
      assertThat(pdb.getSpec().getMinAvailable()).as("%s counts what may go, not what must stay",
          pdb.getMetadata().getName()).isNull();
      assertThat(pdb.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
    }
  }

  // ---- network

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void onlyGatewaysTakeTrafficAndBothRolesReachKafkaAndDns(String overlay) {
    Manifests m = rendered.get(overlay);
    for (Role role : Role.values()) {
      Deployment d = m.one(Deployment.class, role.deployment);
      Container c = onlyContainer(d);
      Environment env = environment(m, role);
      int port = role.port(new Env(env.forCode()));
      List<NetworkPolicy> policies = m.all(NetworkPolicy.class).stream()
          .filter(p -> deploymentsSelected(m, p.getSpec().getPodSelector()).contains(role.deployment)).toList();
      assertThat(policies).as("%s is isolated both ways", role)
          .anyMatch(p -> p.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress")));
      List<NetworkPolicyRule> ingress = policies.stream().flatMap(p -> p.getSpec().getIngress().stream())
          .map(r -> new NetworkPolicyRule(r.getFrom(), r.getPorts())).toList();
      List<NetworkPolicyRule> egress = policies.stream().flatMap(p -> p.getSpec().getEgress().stream())
          .map(r -> new NetworkPolicyRule(r.getTo(), r.getPorts())).toList();
      if (role == Role.GATEWAY) {
        assertThat(ingress).as("gateways take traffic on their port").anyMatch(r -> allows(c, r, "TCP", port));
      } else {
        for (NetworkPolicyRule r : ingress) {
          assertThat(r.ports()).as("workers take no traffic: only their metrics port is open").isNotEmpty()
              .allMatch(p -> p.getPort() != null && p.getEndPort() == null && containerPort(c, p.getPort()) == port);
          assertThat(r.peers()).as("and only to named sources (Prometheus)").isNotEmpty();
        }
      }
      for (String server : role.kafka(new Env(env.forCode())).bootstrapServers().split(",")) {
        int kafkaPort = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1).trim());
        assertThat(egress).as("%s reaches Kafka at %s", role, server).anyMatch(r -> allows(c, r, "TCP", kafkaPort));
      }
      assertThat(egress).as("%s resolves names", role).anyMatch(r -> allows(c, r, "UDP", 53));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dev", "production"})
  void theIngressReachesGatewaysAndPassesStreamsOnAtOnceAndKeepsThemOpen(String overlay) {
    Manifests m = rendered.get(overlay);
    long keepAlive = GatewayConfig.fromEnv(new Env(environment(m, Role.GATEWAY).forCode()), "x").delivery().keepAlive()
        .toSeconds();
    Deployment gateway = m.one(Deployment.class, Role.GATEWAY.deployment);
    List<Ingress> ingresses = m.all(Ingress.class);
    assertThat(ingresses).isNotEmpty();
    for (Ingress ingress : ingresses) {
      Map<String, String> a = ingress.getMetadata().getAnnotations();
      assertThat(a).as("Ingress %s passes bytes on unbuffered", ingress.getMetadata().getName())
          .containsEntry("nginx.ingress.kubernetes.io/proxy-buffering", "off");
      // A quiet stream carries one ': ping' per keep-alive interval: the proxy must wait longer than that.
      for (String timeout : List.of("proxy-read-timeout", "proxy-send-timeout")) {
        assertThat(Long.parseLong(a.get("nginx.ingress.kubernetes.io/" + timeout))).as("%s against the %d s keep-alive",
            timeout, keepAlive).isGreaterThan(keepAlive);
      }
      List<IngressBackend> backends = new ArrayList<>();
      Optional.ofNullable(ingress.getSpec().getDefaultBackend()).ifPresent(backends::add);
      ingress.getSpec().getRules().forEach(r -> r.getHttp().getPaths().forEach(p -> backends.add(p.getBackend())));
      assertThat(backends).isNotEmpty();
      for (IngressBackend b : backends) {
        Service s = m.one(Service.class, b.getService().getName());
        assertThat(servicesOf(m, gateway)).as("the Ingress sends to gateways").contains(s);
        String portName = b.getService().getPort().getName();
        Integer portNumber = b.getService().getPort().getNumber();
        assertThat(s.getSpec().getPorts()).as("Service %s has the Ingress's port", s.getMetadata().getName())
            .anyMatch(p -> portName != null ? portName.equals(p.getName()) : p.getPort().equals(portNumber));
      }
    }
  }

  @Test
  void prometheusScrapesEveryRoleWhereItServesMetrics() {
    Manifests m = rendered.get("production");
    ServiceMonitor sm = m.one(ServiceMonitor.class, "tokenrail");
    List<Service> scraped = m.all(Service.class).stream()
        .filter(s -> selects(sm.getSpec().getSelector(), s.getMetadata().getLabels())).toList();
    for (Role role : Role.values()) {
      Set<String> portNames = new TreeSet<>();
      servicesOf(m, m.one(Deployment.class, role.deployment)).stream().filter(scraped::contains)
          .forEach(svc -> svc.getSpec().getPorts().forEach(p -> portNames.add(p.getName())));
      List<Endpoint> endpoints = sm.getSpec().getEndpoints().stream().filter(e -> portNames.contains(e.getPort())).toList();
      assertThat(endpoints).as("endpoints that scrape %s", role).isNotEmpty()
          .allMatch(e -> e.getPath().equals("/metrics") && role.servedPaths(repository).contains(e.getPath()));
    }
    GatewayConfig gateway = GatewayConfig.fromEnv(new Env(environment(m, Role.GATEWAY).forCode()), "x");
    assertThat(gateway.auth().protectMetrics()).as("gateways' /metrics is open to the scraper (no token configured)")
        .isFalse();
  }

  // ---- Strimzi

  @Test
  void strimziTopicsAreTheOnesTheCodeNamesAndChecks() {
    KafkaSettings kafka = Role.WORKER.kafka(new Env(environment(rendered.get("production"), Role.WORKER).forCode()));
    Topics topics = kafka.topics();
    List<KafkaTopic> declared = rendered.get("strimzi").all(KafkaTopic.class);
    Map<String, KafkaTopic> byName = new TreeMap<>();
    declared.forEach(t -> byName.put(t.getSpec().getTopicName(), t));
    assertThat(byName.keySet()).as("topic names").containsExactlyInAnyOrderElementsOf(topics.all());
    assertThat(declared).extracting(t -> t.getMetadata().getName()).as("Kubernetes names (DNS-1123 labels)")
        .allMatch(n -> DNS_1123_LABEL.matcher(n).matches());
    for (String name : topics.partitioned()) {
      assertThat(byName.get(name).getSpec().getPartitions()).as("%s partitions (TOKENRAIL_PARTITIONS)", name)
          .isEqualTo(kafka.partitions());
    }
    Set<String> compacted = new TreeSet<>();
    byName.forEach((name, t) -> {
      Map<String, Object> config = Optional.ofNullable(t.getSpec().getConfig()).orElse(Map.of());
      if (String.valueOf(config.get("cleanup.policy")).contains("compact")) {
        compacted.add(name);
      }
      int replicas = t.getSpec().getReplicas();
      assertThat(replicas).as("%s replicas (TOKENRAIL_MIN_REPLICATION)", name)
          .isGreaterThanOrEqualTo(kafka.topicPolicy().minReplication());
      // acks=all writes need min.insync.replicas in sync: fewer than the replicas, so a broker may be lost.
      assertThat(Integer.parseInt(String.valueOf(config.get("min.insync.replicas")))).as("%s min.insync.replicas", name)
          .isBetween(2, replicas - 1);
    });
    assertThat(compacted).as("compacted topics").containsExactlyInAnyOrder(topics.conversations(), topics.memory());
    assertThat(rendered.get("strimzi").objects()).extracting(o -> o.getMetadata().getLabels().get("strimzi.io/cluster"))
        .as("one Kafka cluster").containsOnly("my-cluster");
  }

  @Test
  @SuppressWarnings("deprecation") // AclRule.getOperation: checked to be unused, as Strimzi's v1 API wants
  void strimziUsersGrantExactlyTheAclsTheDocsList() {
    Topics topics = Role.WORKER.kafka(new Env(environment(rendered.get("production"), Role.WORKER).forCode())).topics();
    Set<Acl> documented = AclTable.read(repository.resolve("docs/operations.md"), topics.prefix());
    assertThat(documented).as("the table names its roles").extracting(Acl::role).containsOnly("worker", "gateway");
    assertThat(documented).filteredOn(a -> a.resourceType().equals("topic")).extracting(Acl::name)
        .as("topics the code names").allMatch(topics.all()::contains);
    assertThat(documented).filteredOn(a -> a.resourceType().equals("group")).extracting(Acl::name)
        .as("groups the code names").containsOnly(WorkerConfig.GROUP_ID);

    Set<Acl> granted = new TreeSet<>();
    for (KafkaUser user : rendered.get("strimzi").all(KafkaUser.class)) {
      String role = user.getMetadata().getLabels().get("app.kubernetes.io/component");
      for (AclRule rule : ((KafkaUserAuthorizationSimple) user.getSpec().getAuthorization()).getAcls()) {
        assertThat(rule.getHost()).as("%s: any host", user.getMetadata().getName()).isIn(null, "*");
        String type;
        String name;
        AclResourcePatternType pattern;
        if (rule.getResource() instanceof AclRuleTopicResource t) {
          type = "topic";
          name = t.getName();
          pattern = t.getPatternType();
        } else if (rule.getResource() instanceof AclRuleGroupResource g) {
          type = "group";
          name = g.getName();
          pattern = g.getPatternType();
        } else {
          throw new AssertionError(user.getMetadata().getName() + " grants on " + rule.getResource());
        }
        assertThat(pattern).as("%s %s: a literal name, not a prefix", user.getMetadata().getName(), name)
            .isIn(null, AclResourcePatternType.LITERAL);
        assertThat(rule.getOperation()).as("operations, the field Strimzi's v1 API keeps").isNull();
        for (AclOperation op : rule.getOperations()) {
          granted.add(new Acl(role, type, name, op.name()));
        }
      }
    }
    Set<Acl> expected = new TreeSet<>();
    documented.forEach(a -> expected.add(new Acl(a.role(), a.resourceType(), a.name(), a.operation().replace("_", ""))));
    assertThat(granted).as("KafkaUser ACLs against docs/operations.md").containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void productionLeavesTopicsToStrimziAndEachRoleUsesItsOwnKafkaUser() {
    Manifests m = rendered.get("production");
    Map<String, KafkaUser> users = new HashMap<>();
    rendered.get("strimzi").all(KafkaUser.class)
        .forEach(u -> users.put(u.getMetadata().getLabels().get("app.kubernetes.io/component"), u));
    for (Role role : Role.values()) {
      KafkaSettings kafka = role.kafka(new Env(environment(m, role).forCode()));
      assertThat(kafka.topicPolicy().create()).as("%s creates no topics", role).isFalse();
      assertThat(kafka.clientProperties()).as("%s's Kafka client", role).containsEntry("security.protocol", "SASL_SSL");
      KafkaUser user = users.get(role.component);
      assertThat(kafka.clientProperties().get("sasl.mechanism")).as("%s's mechanism is its user's", role)
          .isEqualToIgnoringCase(user.getSpec().getAuthentication().getType());
      Deployment d = m.one(Deployment.class, role.deployment);
      Path properties = Path.of(environment(m, role).values.get("TOKENRAIL_KAFKA_PROPERTIES_FILE"));
      assertThat(secretOf(d, properties)).as("%s's Kafka properties come from its own user's Secret", role)
          .contains(user.getMetadata().getName() + "-kafka");
      assertThat(onlyContainer(d).getImage()).as("%s's image is pinned", role).contains(":").doesNotEndWith(":latest");
    }
  }

  // ---- helpers

  /** What a container is given: its variables' values, which come from Secrets, and where each comes from. */
  private record Environment(Map<String, String> values, Set<String> fromSecrets, Map<String, String> origin) {

    /**
     * The values as the code sees them, but for the Kafka properties file: its contents are the team's Secret,
     * which no test has, so an empty file stands in (its path is checked apart, in secretsComeOnlyFromSecretObjects).
     */
    Map<String, String> forCode() {
      Map<String, String> v = new HashMap<>(values);
      v.computeIfPresent("TOKENRAIL_KAFKA_PROPERTIES_FILE", (k, file) -> emptyPropertiesFile.toString());
      return v;
    }
  }

  /** As Kubernetes builds it: envFrom first, then env, which wins. */
  private static Environment environment(Manifests m, Role role) {
    Container c = onlyContainer(m.one(Deployment.class, role.deployment));
    Map<String, String> values = new LinkedHashMap<>();
    Set<String> fromSecrets = new TreeSet<>();
    Map<String, String> origin = new TreeMap<>();
    for (EnvFromSource from : c.getEnvFrom()) {
      assertThat(from.getSecretRef()).as("envFrom a Secret hides which names it sets; name each with secretKeyRef")
          .isNull();
      ConfigMap cm = m.one(ConfigMap.class, from.getConfigMapRef().getName());
      String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
      cm.getData().forEach((k, v) -> {
        values.put(prefix + k, v);
        origin.put(prefix + k, "ConfigMap " + cm.getMetadata().getName());
      });
    }
    for (EnvVar e : c.getEnv()) {
      fromSecrets.remove(e.getName());
      if (e.getValueFrom() == null) {
        values.put(e.getName(), Objects.requireNonNullElse(e.getValue(), ""));
        origin.put(e.getName(), "a value in the Deployment");
      } else if (e.getValueFrom().getSecretKeyRef() != null) {
        values.put(e.getName(), SECRET_STAND_IN);
        fromSecrets.add(e.getName());
        origin.put(e.getName(), "Secret " + e.getValueFrom().getSecretKeyRef().getName());
      } else if (e.getValueFrom().getConfigMapKeyRef() != null) {
        ConfigMap cm = m.one(ConfigMap.class, e.getValueFrom().getConfigMapKeyRef().getName());
        values.put(e.getName(), cm.getData().get(e.getValueFrom().getConfigMapKeyRef().getKey()));
        origin.put(e.getName(), "ConfigMap " + cm.getMetadata().getName());
      } else {
        throw new AssertionError(role + ": " + e.getName() + " comes from neither a value, a Secret nor a ConfigMap");
      }
    }
    return new Environment(values, fromSecrets, origin);
  }

  private static Container onlyContainer(Deployment d) {
    List<Container> containers = d.getSpec().getTemplate().getSpec().getContainers();
    assertThat(containers).as("%s runs one container", d.getMetadata().getName()).hasSize(1);
    return containers.get(0);
  }

  /** A port a probe, Service or policy names, by name or number, as the container's port number. */
  private static int containerPort(Container c, IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort)
        .findFirst().orElseThrow(() -> new AssertionError(c.getName() + " has no port named " + port.getStrVal()));
  }

  private static boolean selects(LabelSelector selector, Map<String, String> labels) {
    assertThat(selector.getMatchExpressions()).as("selectors here use matchLabels only").isNullOrEmpty();
    return selector.getMatchLabels() != null && !selector.getMatchLabels().isEmpty() && labels != null
        && labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
  }

  private static List<String> deploymentsSelected(Manifests m, LabelSelector selector) {
    return m.all(Deployment.class).stream()
        .filter(d -> selects(selector, d.getSpec().getTemplate().getMetadata().getLabels()))
        .map(d -> d.getMetadata().getName()).toList();
  }

  private static List<Service> servicesOf(Manifests m, Deployment d) {
    return m.all(Service.class).stream().filter(s -> selects(new LabelSelector(null, s.getSpec().getSelector()),
        d.getSpec().getTemplate().getMetadata().getLabels())).toList();
  }

  /** Whether a rule lets {@code protocol} through to {@code port}; a rule with no ports allows every port. */
  private static boolean allows(Container c, NetworkPolicyRule rule, String protocol, int port) {
    return rule.ports().isEmpty() || rule.ports().stream()
        .anyMatch(p -> Objects.requireNonNullElse(p.getProtocol(), "TCP").equals(protocol) && covers(c, p, port));
  }

  private static boolean covers(Container c, NetworkPolicyPort p, int port) {
    if (p.getPort() == null) {
      return true; // every port of the protocol
    }
    if (p.getPort().getIntVal() == null) {
      return containerPort(c, p.getPort()) == port; // a name: the selected pod's own port
    }
    int from = p.getPort().getIntVal();
    return from <= port && port <= Objects.requireNonNullElse(p.getEndPort(), from);
  }

  /** The peers and ports of an ingress or egress rule. */
  private record NetworkPolicyRule(List<?> peers, List<NetworkPolicyPort> ports) {
  }

  private static long gracePeriod(Deployment d) {
    return Objects.requireNonNullElse(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds(), 30L);
  }

  /** Whether {@code file} is a file of a Secret volume mounted in the container (one of its items, if it lists them). */
  private static boolean secretFile(Deployment d, String file) {
    return secretOf(d, Path.of(file)).isPresent();
  }

  private static Optional<String> secretOf(Deployment d, Path file) {
    Container c = onlyContainer(d);
    for (VolumeMount mount : c.getVolumeMounts()) {
      Path dir = Path.of(mount.getMountPath());
      if (!file.startsWith(dir) || file.equals(dir)) {
        continue;
      }
      String relative = dir.relativize(file).toString();
      for (Volume v : d.getSpec().getTemplate().getSpec().getVolumes()) {
        if (v.getName().equals(mount.getName()) && v.getSecret() != null && (v.getSecret().getItems() == null
            || v.getSecret().getItems().isEmpty()
            || v.getSecret().getItems().stream().anyMatch(i -> i.getPath().equals(relative)))) {
          return Optional.of(v.getSecret().getSecretName());
        }
      }
    }
    return Optional.empty();
  }

  /** Surefire runs the launcher module's tests in launcher/; the repository is the folder above with the wrapper. */
  private static Path repositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    Path root = Files.exists(here.resolve("mvnw")) ? here : here.getParent();
    assertThat(root.resolve("deploy/kubernetes")).as("the repository root").isDirectory();
    return root;
  }
}
