package io.resnetservice.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parses rendered manifests with fabric8's Kubernetes model classes, failing on any field the API does
 * not know. fabric8 keeps unknown fields in an "additionalProperties" any-setter; switching any-setters
 * off is what makes FAIL_ON_UNKNOWN_PROPERTIES bite.
 */
final class StrictManifests {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setAnnotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(Annotated a) {
                    return false;
                }
            });

    /** Kinds the chart renders, by apiVersion/kind. ServiceMonitor and PrometheusRule are CRDs fabric8 does not model here. */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "apps/v1/Deployment", Deployment.class,
            "v1/Service", Service.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "networking.k8s.io/v1/Ingress", Ingress.class,
            "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    private StrictManifests() {}

    static List<String> documents(String rendered) {
        List<String> docs = new ArrayList<>();
        for (String doc : rendered.split("(?m)^---\\s*$")) {
            if (!doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
                docs.add(doc);
            }
        }
        return docs;
    }

    static Object parse(String doc) throws Exception {
        JsonNode tree = YAML.readTree(doc);
        String key = tree.path("apiVersion").asText() + "/" + tree.path("kind").asText();
        if (key.equals("monitoring.coreos.com/v1/ServiceMonitor") || key.equals("monitoring.coreos.com/v1/PrometheusRule")) {
            return tree;
        }
        Class<? extends HasMetadata> type = KINDS.get(key);
        if (type == null) {
            throw new IllegalArgumentException("the chart rendered a kind the test does not know: " + key);
        }
        return YAML.readValue(doc, type);
    }
}
