package dev.streamline.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The Helm chart helm/streamline, rendered by Helm itself and read into typed objects. */
final class Chart {

  static final String RELEASE = "sl";
  static final String NAMESPACE = "ml";
  /** The fullname of release {@value #RELEASE}: every object of the chart carries it. */
  static final String FULLNAME = "sl-streamline";
  static final String HOOK_ANNOTATION = "helm.sh/hook";
  /** Helm renders for a v1.20 cluster unless told otherwise; the chart needs 1.25. */
  private static final String KUBE_VERSION = "v1.31.0";
  private static final String RENAMED_HOOK_ANNOTATION = "streamline.test/renamed-hook";
  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Chart() {}

  static Path root() {
    return Path.of(System.getProperty("streamline.root", "..")).toAbsolutePath().normalize();
  }

  static Path directory() {
    return root().resolve("helm/streamline");
  }

  static Helm helm() {
    return new Helm(directory());
  }

  static Rendered render() {
    return render(Map.of());
  }

  /** Renders the chart with {@code --set key=value} for each entry, in order. */
  static Rendered render(Map<String, Object> values) {
    return new Rendered(template(directory(), values));
  }

  /**
   * Renders the chart's {@code helm test} hooks as plain objects. helm-java's template returns
   * the release manifest, which leaves hooks out, so this renders a copy of the chart whose test
   * templates have their hook annotation renamed, then names it back.
   */
  static Rendered renderTestHooks() {
    return renderTestHooks(Map.of());
  }

  /** {@link #renderTestHooks()} with {@code --set key=value} for each entry. */
  static Rendered renderTestHooks(Map<String, Object> values) {
    Path copy = null;
    try {
      copy = Files.createTempDirectory("chart");
      Path chart = copy.resolve("streamline");
      Path tests = directory().resolve("templates/tests");
      try (Stream<Path> files = Files.walk(directory())) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Path target = chart.resolve(directory().relativize(file).toString());
          if (Files.isDirectory(file)) {
            Files.createDirectories(target);
          } else if (file.startsWith(tests)) {
            Files.writeString(target, Files.readString(file)
                .replace(HOOK_ANNOTATION + ":", RENAMED_HOOK_ANNOTATION + ":"));
          } else {
            Files.copy(file, target);
          }
        }
      }
      List<HasMetadata> hooks = new ArrayList<>();
      for (HasMetadata object : template(chart, values)) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        if (annotations != null && annotations.containsKey(RENAMED_HOOK_ANNOTATION)) {
          annotations.put(HOOK_ANNOTATION, annotations.remove(RENAMED_HOOK_ANNOTATION));
          hooks.add(object);
        }
      }
      return new Rendered(hooks);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (copy != null) {
        deleteTree(copy);
      }
    }
  }

  /** The output of {@code helm install --dry-run}: release status and NOTES.txt. */
  static String installDryRun() {
    return helm().install().withName(RELEASE).withNamespace(NAMESPACE)
        .withKubeVersion(KUBE_VERSION).dryRun().clientOnly().call().getOutput();
  }

  private static List<HasMetadata> template(Path chart, Map<String, Object> values) {
    TemplateCommand template = new Helm(chart).template().withName(RELEASE)
        .withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
    values.forEach(template::set);
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : DOCUMENT_SEPARATOR.split(template.call())) {
      if (document.lines().allMatch(line -> line.isBlank() || line.startsWith("#"))) {
        continue;
      }
      objects.add(SERIALIZATION.unmarshal(document));
    }
    return objects;
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The objects of one rendering. */
  record Rendered(List<HasMetadata> objects) {

    /** The one object of this kind; unknown kinds (ServiceMonitor) come as generic resources. */
    <T extends HasMetadata> T only(Class<T> type, String kind) {
      List<HasMetadata> matches = objects.stream().filter(o -> kind.equals(o.getKind())).toList();
      if (matches.size() != 1) {
        throw new AssertionError("expected one " + kind + ", found " + kinds());
      }
      return type.cast(matches.get(0));
    }

    List<String> kinds() {
      return objects.stream().map(HasMetadata::getKind).sorted().toList();
    }

    Deployment deployment() {
      return only(Deployment.class, "Deployment");
    }

    Container container() {
      return deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    /** application.yaml from the ConfigMap, as a tree. */
    @SuppressWarnings("unchecked")
    Map<String, Object> applicationYaml() {
      String yaml = only(ConfigMap.class, "ConfigMap").getData().get("application.yaml");
      return SERIALIZATION.unmarshal(yaml, Map.class);
    }
  }
}
