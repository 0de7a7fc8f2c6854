package dev.streamline.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelmChartTest {

  /** The service's port and actuator paths (issue #4's contract). */
  static final int SERVER_PORT = 8080;
  static final String LIVENESS = "/actuator/health/liveness";
  static final String READINESS = "/actuator/health/readiness";
  static final String PROMETHEUS = "/actuator/prometheus";
  /** The uid the image runs as (docker/Dockerfile). */
  static final long IMAGE_UID = 10001;

  @Test
  void lintsCleanInStrictMode() {
    LintResult result = Chart.helm().lint().strict().call();
    assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
  }

  @Test
  void defaultsRenderTheCoreObjectsOnly() {
    assertThat(Chart.render().kinds()).containsExactly("ConfigMap", "Deployment",
        "PodDisruptionBudget", "Service", "ServiceAccount");
  }

  @Test
  void probesHitTheActuatorHealthGroupsOnTheServerPort() {
    Chart.Rendered chart = Chart.render();
    Container container = chart.container();
    assertThat(container.getPorts()).singleElement().satisfies(port -> {
      assertThat(port.getName()).isEqualTo("http");
      assertThat(port.getContainerPort()).isEqualTo(SERVER_PORT);
    });
    assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo(LIVENESS);
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo(LIVENESS);
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo(READINESS);
    for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(),
        container.getReadinessProbe())) {
      assertThat(probe.getHttpGet().getPort()).isEqualTo(new IntOrString("http"));
    }
    // Model loading must fit in the startup probe's window: 60 × 5 s.
    assertThat(container.getStartupProbe().getFailureThreshold()
        * container.getStartupProbe().getPeriodSeconds()).isEqualTo(300);
    // The server listens where the probes and the Service point.
    assertThat(nested(chart.applicationYaml(), "server", "port")).isEqualTo(SERVER_PORT);
    Service service = chart.only(Service.class, "Service");
    assertThat(service.getSpec().getPorts()).singleElement().satisfies(port -> {
      assertThat(port.getPort()).isEqualTo(SERVER_PORT);
      assertThat(port.getTargetPort()).isEqualTo(new IntOrString("http"));
    });
    assertThat(service.getSpec().getSelector())
        .isEqualTo(chart.deployment().getSpec().getSelector().getMatchLabels());
  }

  @Test
  void runsAsTheImageUserWithAReadOnlyRootAndAWritableTmp() {
    Chart.Rendered chart = Chart.render();
    PodSpec pod = chart.deployment().getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(IMAGE_UID);
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    var security = chart.container().getSecurityContext();
    assertThat(security.getReadOnlyRootFilesystem()).isTrue();
    assertThat(security.getAllowPrivilegeEscalation()).isFalse();
    assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(mount(chart.container(), "/tmp").getReadOnly()).isNotEqualTo(Boolean.TRUE);
    assertThat(volume(pod, mount(chart.container(), "/tmp").getName()).getEmptyDir()).isNotNull();
  }

  @Test
  void configMapIsTheApplicationYamlSpringReads() {
    Chart.Rendered chart = Chart.render(Map.of("config.streamline.batching.max-batch-size", 64));
    Map<String, Object> yaml = chart.applicationYaml();
    assertThat(nested(yaml, "streamline", "device")).isEqualTo("cpu");
    assertThat(nested(yaml, "streamline", "batching", "max-batch-size")).isEqualTo(64);
    assertThat(nested(yaml, "streamline", "limits", "request-timeout")).isEqualTo("60s");
    assertThat(nested(yaml, "streamline", "limits", "queue-capacity")).isEqualTo(64);
    assertThat(nested(yaml, "streamline", "batching", "workers")).isEqualTo(0);
    assertThat(nested(yaml, "streamline", "batching", "merge-window")).isEqualTo("10ms");
    assertThat(nested(yaml, "server", "shutdown")).isEqualTo("graceful");
    assertThat(nested(yaml, "spring", "lifecycle", "timeout-per-shutdown-phase")).isEqualTo("70s");
    // Spring reads the file the ConfigMap mounts.
    Container container = chart.container();
    VolumeMount config = container.getVolumeMounts().stream()
        .filter(m -> "config".equals(m.getName())).findFirst().orElseThrow();
    assertThat(env(container, "SPRING_CONFIG_ADDITIONAL_LOCATION"))
        .isEqualTo("file:" + config.getMountPath() + "/application.yaml");
    PodSpec pod = chart.deployment().getSpec().getTemplate().getSpec();
    assertThat(volume(pod, "config").getConfigMap().getName()).isEqualTo(Chart.FULLNAME);
    assertThat(env(container, "OPT_OUT_TRACKING")).isEqualTo("true");
    // A config change changes the pod template, so pods roll.
    assertThat(chart.deployment().getSpec().getTemplate().getMetadata().getAnnotations()
        .get("checksum/config"))
        .isNotEqualTo(Chart.render().deployment().getSpec().getTemplate().getMetadata()
            .getAnnotations().get("checksum/config"));
  }

  @Test
  void gracePeriodOutlastsTheLongestRequest() {
    assertThat(Chart.render().deployment().getSpec().getTemplate().getSpec()
        .getTerminationGracePeriodSeconds()).isEqualTo(60 + 5 + 15);
    Chart.Rendered longer = Chart.render(Map.of("requestTimeoutSeconds", 300));
    assertThat(longer.deployment().getSpec().getTemplate().getSpec()
        .getTerminationGracePeriodSeconds()).isEqualTo(320);
    assertThat(nested(longer.applicationYaml(), "streamline", "limits", "request-timeout"))
        .isEqualTo("300s");
    assertThat(longer.container().getLifecycle().getPreStop().getExec().getCommand())
        .containsExactly("sleep", "5");
    assertThatThrownBy(() -> Chart.render(Map.of("terminationGracePeriodSeconds", 30)))
        .hasMessageContaining("terminationGracePeriodSeconds (30) must exceed");
  }

  @Test
  void cpuDefaultsAskForNoGpu() {
    Chart.Rendered chart = Chart.render();
    assertThat(chart.container().getResources().getLimits())
        .containsOnlyKeys("memory").containsEntry("memory", new Quantity("3Gi"));
    assertThat(chart.container().getResources().getRequests())
        .containsEntry("cpu", new Quantity("1"));
    assertThat(chart.deployment().getSpec().getTemplate().getSpec().getNodeSelector())
        .isNullOrEmpty();
    assertThat(chart.container().getImage()).isEqualTo("streamline:0.1.0");
  }

  @Test
  void gpuAddsTheLimitNodeSelectorTolerationAndCudaImage() {
    Chart.Rendered chart = Chart.render(Map.of("gpu.enabled", true, "gpu.count", 2));
    assertThat(chart.container().getResources().getLimits())
        .containsEntry("nvidia.com/gpu", new Quantity("2"))
        .containsEntry("memory", new Quantity("3Gi"));
    PodSpec pod = chart.deployment().getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
    assertThat(pod.getTolerations()).anySatisfy(toleration -> {
      assertThat(toleration.getKey()).isEqualTo("nvidia.com/gpu");
      assertThat(toleration.getEffect()).isEqualTo("NoSchedule");
    });
    assertThat(nested(chart.applicationYaml(), "streamline", "device")).isEqualTo("gpu");
    assertThat(chart.container().getImage()).isEqualTo("streamline:0.1.0-cuda");
  }

  @Test
  void hpaScalesTheDeploymentOnCpuAndOptionallyOnQueueDepth() {
    Chart.Rendered cpu = Chart.render(Map.of("autoscaling.enabled", true));
    HorizontalPodAutoscaler hpa = cpu.only(HorizontalPodAutoscaler.class,
        "HorizontalPodAutoscaler");
    assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
    assertThat(hpa.getSpec().getScaleTargetRef().getName())
        .isEqualTo(cpu.deployment().getMetadata().getName());
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(10);
    assertThat(hpa.getSpec().getMetrics()).singleElement().satisfies(metric -> {
      assertThat(metric.getResource().getName()).isEqualTo("cpu");
      assertThat(metric.getResource().getTarget().getAverageUtilization()).isEqualTo(70);
    });
    // The HPA owns the replica count.
    assertThat(cpu.deployment().getSpec().getReplicas()).isNull();
    assertThat(Chart.render().deployment().getSpec().getReplicas()).isEqualTo(2);

    Map<String, Object> values = new LinkedHashMap<>();
    values.put("autoscaling.enabled", true);
    values.put("autoscaling.queueDepth.enabled", true);
    List<MetricSpec> metrics = Chart.render(values)
        .only(HorizontalPodAutoscaler.class, "HorizontalPodAutoscaler").getSpec().getMetrics();
    assertThat(metrics).hasSize(2);
    assertThat(metrics.get(1).getType()).isEqualTo("Pods");
    assertThat(metrics.get(1).getPods().getMetric().getName()).isEqualTo("streamline_queue_depth");
    assertThat(metrics.get(1).getPods().getTarget().getAverageValue()).isEqualTo(new Quantity("8"));
  }

  @Test
  void disruptionBudgetKeepsOnePodOfTheDeployment() {
    Chart.Rendered chart = Chart.render();
    PodDisruptionBudget pdb = chart.only(PodDisruptionBudget.class, "PodDisruptionBudget");
    assertThat(pdb.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
    assertThat(pdb.getSpec().getSelector().getMatchLabels())
        .isEqualTo(chart.deployment().getSpec().getSelector().getMatchLabels());
  }

  @Test
  void serviceMonitorScrapesThePrometheusEndpointThroughTheService() {
    Chart.Rendered chart = Chart.render(Map.of("serviceMonitor.enabled", true,
        "serviceMonitor.labels.release", "kube-prometheus"));
    GenericKubernetesResource monitor = chart.only(GenericKubernetesResource.class,
        "ServiceMonitor");
    assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "kube-prometheus");
    Service service = chart.only(Service.class, "Service");
    // The monitor selects the Service by its labels, which carry the pods' selector labels.
    Map<?, ?> selector = monitor.get("spec", "selector", "matchLabels");
    assertThat(service.getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(selector).isEqualTo(service.getSpec().getSelector());
    List<?> endpoints = monitor.get("spec", "endpoints");
    assertThat(endpoints).singleElement().satisfies(endpoint -> {
      Map<?, ?> e = (Map<?, ?>) endpoint;
      assertThat(e.get("port")).isEqualTo(service.getSpec().getPorts().get(0).getName());
      assertThat(e.get("path")).isEqualTo(PROMETHEUS);
    });
  }

  @Test
  void networkPolicyAdmitsOnlyTheHttpPortAndNoEgress() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("networkPolicy.enabled", true);
    values.put("networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.team", "ml");
    NetworkPolicy policy = Chart.render(values).only(NetworkPolicy.class, "NetworkPolicy");
    assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    assertThat(policy.getSpec().getEgress()).isEmpty();
    assertThat(policy.getSpec().getIngress()).singleElement().satisfies(rule -> {
      assertThat(rule.getPorts()).singleElement()
          .satisfies(port -> assertThat(port.getPort()).isEqualTo(new IntOrString("http")));
      assertThat(rule.getFrom()).singleElement().satisfies(peer -> assertThat(
          peer.getNamespaceSelector().getMatchLabels()).containsEntry("team", "ml"));
    });
  }

  @Test
  void extraModelsComeFromAClaimOrAnInitContainer() {
    Chart.Rendered claim = Chart.render(Map.of("models.existingClaim", "streamline-models"));
    PodSpec pod = claim.deployment().getSpec().getTemplate().getSpec();
    assertThat(volume(pod, "models").getPersistentVolumeClaim().getClaimName())
        .isEqualTo("streamline-models");
    assertThat(mount(claim.container(), "/models").getReadOnly()).isTrue();
    assertThat(nested(claim.applicationYaml(), "streamline", "model-dirs"))
        .isEqualTo(List.of("/models"));
    assertThat(nested(Chart.render().applicationYaml(), "streamline")).asInstanceOf(MAP)
        .doesNotContainKey("model-dirs");

    Map<String, Object> values = new LinkedHashMap<>();
    values.put("models.initContainer.enabled", true);
    values.put("models.initContainer.image", "registry.example/models:3");
    values.put("models.initContainer.command[0]", "cp");
    values.put("models.initContainer.command[1]", "-r");
    values.put("models.initContainer.command[2]", "/bundle/.");
    values.put("models.initContainer.command[3]", "/models");
    Chart.Rendered init = Chart.render(values);
    PodSpec initPod = init.deployment().getSpec().getTemplate().getSpec();
    assertThat(initPod.getInitContainers()).singleElement().satisfies(c -> {
      assertThat(c.getImage()).isEqualTo("registry.example/models:3");
      assertThat(c.getCommand()).containsExactly("cp", "-r", "/bundle/.", "/models");
      assertThat(mount(c, "/models").getReadOnly()).isNotEqualTo(Boolean.TRUE);
    });
    assertThat(volume(initPod, "models").getEmptyDir()).isNotNull();

    values.put("models.existingClaim", "streamline-models");
    assertThatThrownBy(() -> Chart.render(values)).hasMessageContaining("alternatives");
  }

  @Test
  void apiKeysComeFromAMountedSecretAndLeaveTheProbesOpen() {
    Chart.Rendered off = Chart.render();
    assertThat(nested(off.applicationYaml(), "streamline", "auth"))
        .isEqualTo(Map.of("enabled", false));
    assertThat(off.deployment().getSpec().getTemplate().getSpec().getVolumes())
        .extracting(Volume::getName).doesNotContain("auth");

    Chart.Rendered on = Chart.render(Map.of("auth.enabled", true,
        "auth.existingSecret", "streamline-keys"));
    PodSpec pod = on.deployment().getSpec().getTemplate().getSpec();
    Volume secret = volume(pod, "auth");
    assertThat(secret.getSecret().getSecretName()).isEqualTo("streamline-keys");
    assertThat(secret.getSecret().getItems()).singleElement().satisfies(item -> {
      assertThat(item.getKey()).isEqualTo("tokens");
      assertThat(item.getPath()).isEqualTo("tokens");
    });
    assertThat(mount(on.container(), "/etc/streamline/auth").getReadOnly()).isTrue();
    assertThat(nested(on.applicationYaml(), "streamline", "auth")).isEqualTo(
        Map.of("enabled", true, "tokens-file", "/etc/streamline/auth/tokens"));
    // The probes need no key: they stay on the health groups the service leaves open.
    assertThat(on.container().getReadinessProbe().getHttpGet().getPath()).isEqualTo(READINESS);
    assertThat(on.container().getLivenessProbe().getHttpGet().getPath()).isEqualTo(LIVENESS);

    Chart.Rendered renamed = Chart.render(Map.of("auth.enabled", true,
        "auth.existingSecret", "keys", "auth.secretKey", "api-keys", "auth.mountPath", "/keys/"));
    assertThat(nested(renamed.applicationYaml(), "streamline", "auth", "tokens-file"))
        .isEqualTo("/keys/api-keys");

    assertThatThrownBy(() -> Chart.render(Map.of("auth.enabled", true)))
        .hasMessageContaining("auth.existingSecret is required");
    assertThatThrownBy(() -> Chart.render(Map.of("config.streamline.auth.enabled", true)))
        .hasMessageContaining("auth");
  }

  @Test
  void helmTestPodSendsAKeyOfTheSecretWhenAuthIsOn() {
    Pod open = Chart.renderTestHooks().only(Pod.class, "Pod");
    assertThat(String.join(" ", open.getSpec().getContainers().get(0).getArgs()))
        .doesNotContain("X-API-Key");
    assertThat(open.getSpec().getVolumes()).isNullOrEmpty();

    Pod pod = Chart.renderTestHooks(Map.of("auth.enabled", true,
        "auth.existingSecret", "streamline-keys")).only(Pod.class, "Pod");
    String script = String.join(" ", pod.getSpec().getContainers().get(0).getArgs());
    // The first line of the file that is neither blank nor a comment.
    assertThat(script).contains("-H \"X-API-Key: $(grep -v '^[[:space:]]*#' /auth/tokens"
        + " | grep -m 1 '[^[:space:]]')\"");
    assertThat(pod.getSpec().getVolumes()).singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("streamline-keys"));
    assertThat(mount(pod.getSpec().getContainers().get(0), "/auth").getReadOnly()).isTrue();
  }

  @Test
  void helmTestPodSamplesAModelThroughTheService() {
    Pod pod = Chart.renderTestHooks().only(Pod.class, "Pod");
    assertThat(pod.getMetadata().getAnnotations()).containsEntry(Chart.HOOK_ANNOTATION, "test");
    String script = String.join(" ", pod.getSpec().getContainers().get(0).getArgs());
    assertThat(script).contains("http://" + Chart.FULLNAME + ":" + SERVER_PORT
        + "/v1/models/moons-flow/samples").contains("--fail").contains("\"samples\"");
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
  }

  @Test
  void notesShowTheCurlToTry() {
    String notes = Chart.installDryRun();
    assertThat(notes).contains("port-forward service/" + Chart.FULLNAME + " 8080:" + SERVER_PORT)
        .contains("curl -s -H 'Content-Type: application/json'")
        .contains("localhost:8080/v1/models/moons-flow/samples")
        .contains("helm test " + Chart.RELEASE);
  }

  @Test
  void schemaRejectsBadValuesBeforeAnythingRenders() {
    assertThatThrownBy(() -> Chart.render(Map.of("gpu.count", 0)))
        .hasMessageContaining("at '/gpu/count': minimum: got 0, want 1");
    assertThatThrownBy(() -> Chart.render(Map.of("service.port", 70000)))
        .hasMessageContaining("at '/service/port': maximum");
    assertThatThrownBy(() -> Chart.render(Map.of("probes.readiness.path", "/health")))
        .hasMessageContaining("at '/probes/readiness/path'");
    assertThatThrownBy(() -> Chart.render(Map.of("replicaCount", "two")))
        .hasMessageContaining("at '/replicaCount'");
  }

  @Test
  void schemaHoldsConfigToTheServicesStreamlineProperties() {
    // Spring would ignore a misspelt key; the schema names it.
    assertThatThrownBy(() -> Chart.render(Map.of("config.streamline.batching.merge-windw", "5ms")))
        .hasMessageContaining("at '/config/streamline/batching'")
        .hasMessageContaining("merge-windw");
    // The chart sets these from gpu.enabled and requestTimeoutSeconds, over anything here.
    assertThatThrownBy(() -> Chart.render(Map.of("config.streamline.device", "gpu")))
        .hasMessageContaining("at '/config/streamline'").hasMessageContaining("device");
    assertThatThrownBy(() -> Chart.render(
        Map.of("config.streamline.limits.request-timeout", "5s")))
        .hasMessageContaining("at '/config/streamline/limits'");
    // The service's own bounds.
    assertThatThrownBy(() -> Chart.render(Map.of("config.streamline.batching.workers", -1)))
        .hasMessageContaining("at '/config/streamline/batching/workers': minimum");
    assertThatThrownBy(() -> Chart.render(
        Map.of("config.streamline.limits.queue-capacity", 5000)))
        .hasMessageContaining("at '/config/streamline/limits/queue-capacity': maximum");
    assertThatThrownBy(() -> Chart.render(
        Map.of("config.streamline.batching.max-delay", "2 seconds")))
        .hasMessageContaining("at '/config/streamline/batching/max-delay'");
    // --set passes a bare 0 as a number, which Spring reads as 0 ms: merging off.
    Chart.Rendered off = Chart.render(Map.of("config.streamline.batching.merge-window", 0,
        "config.streamline.batching.max-delay", "PT0.5S"));
    assertThat(nested(off.applicationYaml(), "streamline", "batching", "merge-window"))
        .isEqualTo(0);
    assertThat(nested(off.applicationYaml(), "streamline", "batching", "max-delay"))
        .isEqualTo("PT0.5S");
  }

  static Object nested(Map<String, Object> tree, String... path) {
    Object node = tree;
    for (String key : path) {
      assertThat(node).as("parent of %s", key).isInstanceOf(Map.class);
      node = ((Map<?, ?>) node).get(key);
    }
    return node;
  }

  private static String env(Container container, String name) {
    return container.getEnv().stream().filter(e -> name.equals(e.getName()))
        .map(EnvVar::getValue).findFirst().orElseThrow(() -> new AssertionError("no " + name));
  }

  private static VolumeMount mount(Container container, String path) {
    return container.getVolumeMounts().stream().filter(m -> path.equals(m.getMountPath()))
        .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + path));
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream().filter(v -> name.equals(v.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }
}
