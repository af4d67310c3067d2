package io.resnetservice.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.RandomModelServiceTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;


/** The Helm chart, checked offline: lint, render, strict parsing, and agreement with the running app. */
class HelmChartTest extends RandomModelServiceTest {

    static final Path CHART = Path.of("helm", "resnet-service");
    static final Path ALL_FEATURES = Path.of("src", "test", "resources", "helm", "all-features.yaml");

    static List<Object> render(boolean allFeatures) throws Exception {
        var template = new Helm(CHART).template().withName("demo").withNamespace("ml");
        if (allFeatures) {
            template = template.withValuesFile(ALL_FEATURES);
        }
        List<Object> manifests = new ArrayList<>();
        for (String doc : StrictManifests.documents(template.call())) {
            manifests.add(StrictManifests.parse(doc));
        }
        return manifests;
    }

    static <T> T only(List<Object> manifests, Class<T> type) {
        List<T> found = manifests.stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, found.size(), type.getSimpleName());
        return found.get(0);
    }

    @Test
    void strictLintIsClean() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
    }

    @Test
    void defaultValuesRenderAServiceThatMatchesTheApplication() throws Exception {
        List<Object> manifests = render(false);
        Deployment deployment = only(manifests, Deployment.class);
        Service service = only(manifests, Service.class);
        only(manifests, PodDisruptionBudget.class);
        assertTrue(manifests.stream().noneMatch(m -> m instanceof Ingress || m instanceof HorizontalPodAutoscaler));

        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(deployment.getSpec().getSelector().getMatchLabels().entrySet()));
        assertTrue(podLabels.entrySet().containsAll(service.getSpec().getSelector().entrySet()),
                "the Service selects the pods");

        Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        ContainerPort http = container.getPorts().stream().filter(p -> p.getName().equals("http")).findFirst().orElseThrow();
        int serverPort = StrictManifests.YAML.readTree(Files.readString(Path.of("src/main/resources/application.yaml")))
                .at("/server/port").asInt();
        assertEquals(serverPort, http.getContainerPort(), "the container port is the one the application listens on");
        assertEquals("http", service.getSpec().getPorts().get(0).getTargetPort().getStrVal());

        // Every probe path answers 200 on the running application.
        Http app = new Http(port);
        for (HTTPGetAction probe : List.of(container.getStartupProbe().getHttpGet(),
                container.getReadinessProbe().getHttpGet(), container.getLivenessProbe().getHttpGet())) {
            assertEquals("http", probe.getPort().getStrVal());
            assertEquals(200, app.get(probe.getPath()).status(), probe.getPath());
        }
        assertEquals("/actuator/health/readiness", container.getReadinessProbe().getHttpGet().getPath());
        String scrapePath = deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/path");
        assertTrue(app.get(scrapePath).body().contains("inference_"), "the scrape path serves our metrics");
        assertTrue(container.getStartupProbe().getFailureThreshold() * container.getStartupProbe().getPeriodSeconds() >= 120,
                "the startup probe waits long enough for model load and warm-up");

        var pod = deployment.getSpec().getTemplate().getSpec();
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertTrue(container.getSecurityContext().getReadOnlyRootFilesystem());
        assertFalse(container.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), container.getSecurityContext().getCapabilities().getDrop());
        assertTrue(container.getVolumeMounts().stream().anyMatch(v -> v.getMountPath().equals("/tmp")),
                "a writable /tmp under a read-only root");
        int preStop = Integer.parseInt(container.getLifecycle().getPreStop().getExec().getCommand().get(1));
        String shutdown = container.getEnv().stream()
                .filter(e -> e.getName().equals("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE")).findFirst().orElseThrow()
                .getValue();
        int phase = Integer.parseInt(shutdown.replace("s", ""));
        int notice = Integer.parseInt(env(container, "RESNET_SHUTDOWN_DRAIN_NOTICE").replace("s", ""));
        assertEquals(2, notice, "the chart's drain notice is the application's default");
        assertTrue(pod.getTerminationGracePeriodSeconds() > preStop + notice + phase,
                "the grace period covers the preStop sleep, the drain notice and Spring's shutdown phase");
        assertTrue(container.getResources().getLimits().containsKey("memory"));
        List<String> chartFlags = List.of(env(container, "JAVA_TOOL_OPTIONS").trim().split(" +"));
        assertEquals(List.of("-XX:MaxRAMPercentage=50", "-XX:G1HeapRegionSize=4m", "-XX:GCTimeRatio=4",
                "-XX:+ExitOnOutOfMemoryError", "-Dai.djl.offline=true"), chartFlags,
                "the heap's share of the limit, regions in which request tensors are ordinary objects, a heap sized to"
                        + " the traffic");
        Matcher image = Pattern.compile("JAVA_TOOL_OPTIONS=\"([^\"]*)\"").matcher(Files.readString(Path.of("Dockerfile")));
        assertTrue(image.find(), "the Dockerfile sets JAVA_TOOL_OPTIONS");
        assertThat(List.of(image.group(1).split(" +"))).as("the image runs the JVM as the chart does")
                .containsAll(chartFlags);
        assertThat(Files.readString(Path.of("pom.xml")))
                .as("spring-boot:run sizes the heap as the chart does")
                .contains("<jvmArguments>-XX:G1HeapRegionSize=4m -XX:GCTimeRatio=4</jvmArguments>");
        assertEquals(null, env(container, "MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT"),
                "no endpoint by default: an empty one would switch the exporter on");
        assertTrue(manifests.stream().noneMatch(JsonNode.class::isInstance), "no dashboard, rule or monitor by default");
        assertEquals(1, manifests.stream().filter(ConfigMap.class::isInstance).count(), "only the application's ConfigMap");
    }

    @Test
    void everyOptionalFeatureRendersValidManifests() throws Exception {
        List<Object> manifests = render(true);
        Deployment deployment = only(manifests, Deployment.class);
        Ingress ingress = only(manifests, Ingress.class);
        HorizontalPodAutoscaler hpa = only(manifests, HorizontalPodAutoscaler.class);
        PodDisruptionBudget pdb = only(manifests, PodDisruptionBudget.class);
        JsonNode serviceMonitor = custom(manifests, "ServiceMonitor");

        String name = deployment.getMetadata().getName();
        assertEquals(name, hpa.getSpec().getScaleTargetRef().getName());
        assertEquals(2, hpa.getSpec().getMetrics().size(), "CPU and queue depth");
        var cpu = hpa.getSpec().getMetrics().get(0);
        assertEquals("cpu", cpu.getResource().getName());
        assertEquals(70, cpu.getResource().getTarget().getAverageUtilization());
        var queue = hpa.getSpec().getMetrics().get(1);
        assertEquals("inference_queue_depth", queue.getPods().getMetric().getName(), "the gauge the service exports");
        assertEquals("8", queue.getPods().getTarget().getAverageValue().getAmount());
        assertEquals(name, ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getName());
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
        assertEquals("management", serviceMonitor.at("/spec/endpoints/0/port").asText());
        assertNullReplicas(deployment);

        var pod = deployment.getSpec().getTemplate().getSpec();
        Container container = pod.getContainers().get(0);
        assertEquals("management", container.getReadinessProbe().getHttpGet().getPort().getStrVal());
        assertEquals("1", container.getResources().getLimits().get("nvidia.com/gpu").getAmount());
        assertEquals("true", pod.getNodeSelector().get("nvidia.com/gpu.present"));
        assertTrue(pod.getTolerations().stream().anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())));
        assertEquals("fetch-models", pod.getInitContainers().get(0).getName());
        assertTrue(container.getEnv().stream().anyMatch(e -> e.getName().equals("RESNET_MODEL_DIR")));
        assertTrue(container.getEnv().stream().anyMatch(e -> e.getName().equals("RESNET_SECURITY_API_KEYS")
                && e.getValueFrom().getSecretKeyRef().getName().equals("resnet-api-keys")));
        assertTrue(container.getEnv().stream().anyMatch(e -> e.getName().equals("RESNET_SECURITY_ADMIN_KEYS")
                && e.getValueFrom().getSecretKeyRef().getName().equals("resnet-admin-keys")
                && e.getValueFrom().getSecretKeyRef().getKey().equals("admin-keys")));
        assertEquals("30s", env(container, "RESNET_MODEL_POLL_INTERVAL"));
        assertEquals("latest:2", env(container, "RESNET_MODEL_VERSION_POLICY"));
        assertEquals("gpu", container.getEnv().stream().filter(e -> e.getName().equals("RESNET_DEVICE"))
                .findFirst().orElseThrow().getValue());
        assertEquals("http://otel-collector.observability:4318/v1/traces", env(container,
                "MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT"));
        assertEquals("0.25", env(container, "MANAGEMENT_TRACING_SAMPLING_PROBABILITY"));
    }

    static JsonNode custom(List<Object> manifests, String kind) {
        List<JsonNode> found = manifests.stream().filter(JsonNode.class::isInstance).map(JsonNode.class::cast)
                .filter(n -> n.path("kind").asText().equals(kind)).toList();
        assertEquals(1, found.size(), kind);
        return found.get(0);
    }

    static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(e -> e.getValue()).orElse(null);
    }

    @Test
    void theDashboardAndTheAlertsReadOnlyMetricsTheServiceExports() throws Exception {
        // Meters tagged by outcome exist once a request has had that outcome.
        assertEquals(200, http.post("/api/v1/classify", new Multipart().file("image", "x.png", "image/png",
                TestImages.png(TestImages.grey(28, 28, 1)))).status());
        assertEquals(400, http.post("/api/v1/classify", "image/png", "not a png".getBytes(StandardCharsets.UTF_8)).status());
        String scrape = http.get("/actuator/prometheus").body();
        Set<String> exported = PromQl.exposed(scrape);

        List<Object> manifests = render(true);
        ConfigMap dashboardMap = manifests.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                .filter(c -> c.getMetadata().getName().endsWith("-dashboard")).findFirst().orElseThrow();
        assertEquals("1", dashboardMap.getMetadata().getLabels().get("grafana_dashboard"), "the Grafana sidecar's label");
        assertEquals("ML", dashboardMap.getMetadata().getAnnotations().get("grafana_folder"));
        JsonNode dashboard = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .readTree(dashboardMap.getData().get("resnet-service.json"));
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(panel.get("title").asText() + " " + target.get("refId").asText(), target.get("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.path("type").asText().equals("query")) {
                queries.put("variable " + variable.get("name").asText(), variable.at("/query/query").asText());
            }
        }
        JsonNode rule = custom(manifests, "PrometheusRule");
        assertEquals("prometheus", rule.at("/metadata/labels/release").asText());
        Set<String> alerts = new LinkedHashSet<>();
        // PrometheusRule is a CRD fabric8 does not model here: check its fields against the operator's schema by hand.
        assertEquals(Set.of("apiVersion", "kind", "metadata", "spec"), fieldNames(rule));
        assertEquals(Set.of("groups"), fieldNames(rule.get("spec")));
        assertEquals(Set.of("name", "rules"), fieldNames(rule.at("/spec/groups/0")));
        for (JsonNode r : rule.at("/spec/groups/0/rules")) {
            assertTrue(Set.of("alert", "expr", "for", "labels", "annotations").containsAll(fieldNames(r)), r.toString());
            assertTrue(r.get("for").asText().matches("[0-9]+[smh]"), r.toString());
            alerts.add(r.get("alert").asText());
            queries.put("alert " + r.get("alert").asText(), r.get("expr").asText());
            assertTrue(r.get("expr").asText().contains("namespace=\"ml\", application=\"resnet-service\""),
                    "the default selector scopes the rule to the release: " + r.get("expr").asText());
        }
        assertEquals(Set.of("ResnetServiceServerErrors", "ResnetServiceOverloaded", "ResnetServiceSlow",
                "ResnetServiceQueueNearCapacity", "ResnetServiceNotReady", "ResnetServiceMemoryNearLimit",
                "ResnetServiceModelLoadFailed"), alerts);
        assertTrue(queries.get("alert ResnetServiceSlow").contains("> 1.5"), "thresholds come from the values");

        Set<String> read = new LinkedHashSet<>();
        for (Map.Entry<String, String> query : queries.entrySet()) {
            Set<String> names = PromQl.metricNames(query.getValue());
            assertFalse(names.isEmpty(), query.getKey() + " reads no metric: " + query.getValue());
            for (String name : names) {
                assertTrue(exported.contains(name), query.getKey() + " reads " + name
                        + ", which the service does not export: " + query.getValue());
            }
            read.addAll(names);
        }
        assertTrue(read.containsAll(List.of("inference_requests_seconds_bucket", "http_server_requests_seconds_count",
                "inference_queue_depth", "inference_queue_seconds_bucket", "inference_batch_size_images_bucket",
                "inference_forward_seconds_bucket", "inference_images_total", "jvm_memory_used_bytes",
                "process_memory_resident_bytes", "model_load_seconds", "service_ready", "model_versions",
                "model_repository_loads_total")), "the dashboard's panels: " + read);
        assertTrue(scrape.lines().anyMatch(l -> l.startsWith("service_ready{") && l.contains("application=\"resnet-service\"")
                && l.endsWith(" 1.0")), "the running service reports itself ready, with the label the queries select on");
    }

    static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new LinkedHashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void metricNamesAreReadFromPromQl() {
        assertEquals(Set.of("a_total", "b:ratio", "c_bucket"), PromQl.metricNames(
                "sum by (pod, le) (rate(a_total{x=\"by (y)\", z=~\"5..\"}[$__rate_interval])) / on (pod) b:ratio"
                        + " > bool 0.9 and histogram_quantile(0.99, c_bucket{q=\"$ns\"}) offset 5m"));
        assertEquals(Set.of("service_ready"), PromQl.metricNames("label_values(service_ready{a=\"b\"}, namespace)"));
        assertEquals(Set.of("http_server_requests_seconds_count", "process_cpu_usage"),
                PromQl.exposed("# HELP x\nhttp_server_requests_seconds_count{a=\"b\"} 1.0\nprocess_cpu_usage 0.5\n"));
    }

    private static void assertNullReplicas(Deployment deployment) {
        assertEquals(null, deployment.getSpec().getReplicas(), "with an HPA the Deployment leaves replicas to it");
    }

    @Test
    void theGrpcPortIsOnThePodAndTheServiceUnlessSwitchedOff() throws Exception {
        List<Object> manifests = render(false);
        Container container = only(manifests, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        Service service = only(manifests, Service.class);
        JsonNode application = StrictManifests.YAML.readTree(Files.readString(Path.of("src/main/resources/application.yaml")));
        ContainerPort grpc = container.getPorts().stream().filter(p -> p.getName().equals("grpc")).findFirst().orElseThrow();
        assertEquals(application.at("/spring/grpc/server/port").asInt(), grpc.getContainerPort(),
                "the container port is the one the gRPC server listens on");
        var servicePort = service.getSpec().getPorts().stream().filter(p -> p.getName().equals("grpc")).findFirst()
                .orElseThrow();
        assertEquals("grpc", servicePort.getTargetPort().getStrVal());
        assertEquals("grpc", servicePort.getAppProtocol());
        assertEquals(8081, servicePort.getPort());
        assertEquals(null, env(container, "SPRING_GRPC_SERVER_ENABLED"));
        assertTrue(Files.readString(Path.of("Dockerfile")).contains("EXPOSE 8080 8081"), "the image exposes it");

        List<Object> off = new ArrayList<>();
        for (String doc : StrictManifests.documents(new Helm(CHART).template().withName("demo")
                .set("grpc.enabled", "false").call())) {
            off.add(StrictManifests.parse(doc));
        }
        Container without = only(off, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(without.getPorts().stream().noneMatch(p -> p.getName().equals("grpc")));
        assertTrue(only(off, Service.class).getSpec().getPorts().stream().noneMatch(p -> p.getName().equals("grpc")));
        assertEquals("false", env(without, "SPRING_GRPC_SERVER_ENABLED"), "the server is switched off, not only unexposed");
    }

    @Test
    void aMisspeltFieldFailsStrictParsing() throws Exception {
        String deployment = StrictManifests.documents(new Helm(CHART).template().withName("demo").call()).stream()
                .filter(d -> d.contains("kind: Deployment")).findFirst().orElseThrow();
        StrictManifests.parse(deployment);
        String misspelt = deployment.replace("  replicas: 2", "  replicaz: 2");
        assertFalse(misspelt.equals(deployment));
        assertThrows(UnrecognizedPropertyException.class, () -> StrictManifests.parse(misspelt));
        String nested = deployment.replace("readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true");
        assertThrows(UnrecognizedPropertyException.class, () -> StrictManifests.parse(nested));
    }

    @Test
    void theSchemaRejectsAnUnknownValue() {
        var template = new Helm(CHART).template().withName("demo").set("replicaCont", "3");
        RuntimeException e = assertThrows(RuntimeException.class, template::call);
        assertTrue(e.getMessage().contains("values.schema.json") || e.getMessage().contains("schema"), e.getMessage());
        assertTrue(e.getMessage().contains("replicaCont"), "the error names the unknown value: " + e.getMessage());
        RuntimeException ratio = assertThrows(RuntimeException.class, () -> new Helm(CHART).template().withName("demo")
                .set("metrics.alerts.queueFraction", "1.5").call());
        assertTrue(ratio.getMessage().contains("queueFraction"), ratio.getMessage());
    }
}
