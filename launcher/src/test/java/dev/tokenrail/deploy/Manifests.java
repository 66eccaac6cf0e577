package dev.tokenrail.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The objects a kustomization renders, each read into its typed model: fabric8's for Kubernetes' own kinds and
 * the Prometheus Operator's, Strimzi's for its custom resources. A kind the models do not know stays generic,
 * and a field they do not know lands in an object's additional properties: {@link #schemaProblems} lists both,
 * which makes the typed models a schema check.
 */
record Manifests(String source, List<HasMetadata> objects) {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

  static {
    // Strimzi's API jar does not register its kinds with fabric8; v1 is the version the examples use.
    SERIALIZATION.registerKubernetesResource("kafka.strimzi.io/v1", "KafkaTopic", KafkaTopic.class);
    SERIALIZATION.registerKubernetesResource("kafka.strimzi.io/v1", "KafkaUser", KafkaUser.class);
  }

  static Manifests parse(String source, String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
      if (!document.isBlank()) {
        objects.add(SERIALIZATION.unmarshal(document, KubernetesResource.class) instanceof HasMetadata h ? h
            : fail(source, "a document that is not a Kubernetes object: " + document));
      }
    }
    return new Manifests(source, List.copyOf(objects));
  }

  private static HasMetadata fail(String source, String what) {
    throw new IllegalStateException(source + ": " + what);
  }

  <T extends HasMetadata> List<T> all(Class<T> kind) {
    return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  <T extends HasMetadata> T one(Class<T> kind, String name) {
    List<T> named = all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
    if (named.size() != 1) {
      throw new AssertionError(source + ": expected one " + kind.getSimpleName() + " named " + name + ", found "
          + named.size());
    }
    return named.get(0);
  }

  /** Kinds no model knows, and every field (at any depth) that its object's model does not have. */
  List<String> schemaProblems() {
    List<String> problems = new ArrayList<>();
    for (HasMetadata o : objects) {
      String where = source + " " + o.getKind() + "/" + o.getMetadata().getName();
      if (o instanceof GenericKubernetesResource) {
        problems.add(where + ": no model knows " + o.getApiVersion() + " " + o.getKind());
      } else {
        unknownFields(o, where, problems, Collections.newSetFromMap(new IdentityHashMap<>()));
      }
    }
    return problems;
  }

  /** Walks the model's getters: Kubernetes', the Prometheus Operator's and Strimzi's model classes, lists, maps. */
  private static void unknownFields(Object value, String path, List<String> problems, Set<Object> seen) {
    if (value == null || !seen.add(value)) {
      return;
    }
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        unknownFields(list.get(i), path + "[" + i + "]", problems, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "." + k, problems, seen));
      return;
    }
    if (!isModel(value.getClass())) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object field;
      try {
        field = getter.invoke(value);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue; // a derived value that cannot be computed (a CustomResource's plural, say), not a field
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
          problems.add(path + ": unknown field(s) " + extra.keySet());
        }
      } else {
        unknownFields(field, path + "." + property(getter.getName()), problems, seen);
      }
    }
  }

  private static boolean isModel(Class<?> type) {
    String name = type.getName();
    return name.startsWith("io.fabric8.kubernetes.api.model.") || name.startsWith("io.fabric8.openshift.api.model.")
        || name.startsWith("io.strimzi.api.kafka.model.");
  }

  private static String property(String getter) {
    String bare = getter.startsWith("is") ? getter.substring(2) : getter.substring(3);
    return bare.isEmpty() ? bare : Character.toLowerCase(bare.charAt(0)) + bare.substring(1);
  }
}
