package io.resnetservice.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.resnetservice.support.Http;
import io.resnetservice.support.RandomModelServiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        assertTrue(pod.getTerminationGracePeriodSeconds() > preStop + phase,
                "the grace period covers the preStop sleep and Spring's shutdown phase");
        assertTrue(container.getResources().getLimits().containsKey("memory"));
    }

    @Test
    void everyOptionalFeatureRendersValidManifests() throws Exception {
        List<Object> manifests = render(true);
        Deployment deployment = only(manifests, Deployment.class);
        Ingress ingress = only(manifests, Ingress.class);
        HorizontalPodAutoscaler hpa = only(manifests, HorizontalPodAutoscaler.class);
        PodDisruptionBudget pdb = only(manifests, PodDisruptionBudget.class);
        JsonNode serviceMonitor = manifests.stream().filter(JsonNode.class::isInstance).map(JsonNode.class::cast)
                .findFirst().orElseThrow();

        String name = deployment.getMetadata().getName();
        assertEquals(name, hpa.getSpec().getScaleTargetRef().getName());
        assertEquals(2, hpa.getSpec().getMetrics().size(), "CPU and queue depth");
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
        assertEquals("gpu", container.getEnv().stream().filter(e -> e.getName().equals("RESNET_DEVICE"))
                .findFirst().orElseThrow().getValue());
    }

    private static void assertNullReplicas(Deployment deployment) {
        assertEquals(null, deployment.getSpec().getReplicas(), "with an HPA the Deployment leaves replicas to it");
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
        assertThrows(RuntimeException.class, template::call);
    }
}
