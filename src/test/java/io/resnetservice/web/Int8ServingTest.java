package io.resnetservice.web;

import io.resnetservice.support.OsPackage;
import io.resnetservice.support.Requires;
import io.resnetservice.support.TempDirs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.model.ModelFolder;
import io.resnetservice.runtime.Int8Calibration;
import io.resnetservice.support.Datasets;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.TestImages;
import io.resnetservice.training.FashionMnist;
import io.resnetservice.training.QuantizeCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The shipped model quantized as the README says ({@code quantize --calibration fashion-mnist}, with
 * {@code --refit-images 12000}) and served
 * alone: the models API says int8, the whole test set as PNG over HTTP keeps the fp32 accuracy within 0.3
 * points (and passes as in distribution), and OIP v2 answers what v1 answers.
 */
@Requires(OsPackage.FASHION_MNIST)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class Int8ServingTest {

    /** A fifth of the training set: the refit's Gaussians, at a fifth of its time. */
    private static final int REFIT_IMAGES = 12000;

    private static QuantizeCommand.Result quantized;
    private static final ByteArrayOutputStream console = new ByteArrayOutputStream();

    /** Quantizes once, when the application context first asks for its model folder. */
    static synchronized QuantizeCommand.Result quantized() {
        if (quantized == null) {
            try {
                Path shipped = TempDirs.create("shipped-model");
                ModelFolder embedded = ModelFolder.embedded();
                for (String file : new String[] {"model.json", "labels.txt", "ood-statistics.npz", embedded.spec().weights()}) {
                    try (var in = embedded.source().open(file)) {
                        Files.copy(in, shipped.resolve(file));
                    }
                }
                Path repository = TempDirs.create("int8-models");
                quantized = QuantizeCommand.run(shipped, QuantizeCommand.FASHION_MNIST,
                        repository.resolve(embedded.spec().name() + "-int8"), Int8Calibration.Observer.PERCENTILE,
                        2000, 10000, REFIT_IMAGES, null, Datasets.fashionMnist(), new PrintStream(console, true,
                                StandardCharsets.UTF_8));
                System.out.print(console.toString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return quantized;
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", () -> quantized().folder().getParent().toString());
        registry.add("resnet.device", () -> "cpu");
    }

    @LocalServerPort
    int port;

    @Test
    void theModelsApiSaysTheModelRunsInInt8AndHowItWasQuantized() {
        JsonNode model = new Http(port).get("/api/v1/models/fashion-mnist-resnet18-int8").json();
        assertEquals("int8", model.get("precision").asString());
        assertEquals("percentile", model.at("/quantization/observer").asString());
        assertEquals("the first 2000 Fashion-MNIST training images", model.at("/quantization/calibratedOn").asString());
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("512 features of " + REFIT_IMAGES + " training images"),
                "the out-of-distribution statistics were refitted on the int8 network: " + console);
        assertEquals(QuantizeCommand.PARAMETERS, model.at("/quantization/parameters").asString());
    }

    @Test
    void theWholeTestSetAsPngOverHttpKeepsTheFloatAccuracyWithinAThirdOfAPoint() throws IOException {
        FashionMnist.Split test = FashionMnist.test(Datasets.fashionMnist());
        Http http = new Http(port);
        int correct = 0;
        int flagged = 0;
        int per = 25;
        for (int start = 0; start < test.count(); start += per) {
            Multipart m = new Multipart();
            for (int i = start; i < start + per; i++) {
                m.file("image", "test-" + i, "image/png", TestImages.png(fashionImage(test, i)));
            }
            Http.Response r = http.post("/api/v1/classify?topK=1", m);
            assertEquals(200, r.status(), r.body());
            JsonNode results = r.json().get("results");
            for (int i = 0; i < per; i++) {
                correct += results.get(i).at("/predictions/0/index").asInt() == test.label(start + i) ? 1 : 0;
                flagged += results.get(i).get("outOfDistribution").asBoolean() ? 1 : 0;
            }
        }
        double accuracy = (double) correct / test.count();
        QuantizeCommand.Result q = quantized();
        System.out.printf(Locale.ROOT, "int8 model over HTTP, 28x28 PNG: %d/%d = %.4f (fp32 in process %.4f, int8 in process %.4f);"
                + " %d flagged out of distribution%n", correct, test.count(), accuracy, q.fp32Accuracy(), q.int8Accuracy(),
                flagged);
        assertEquals(10000, q.evaluated());
        assertTrue(q.fp32Accuracy() >= 0.9418, "the fp32 model it came from: " + q.fp32Accuracy());
        assertTrue(accuracy >= q.fp32Accuracy() - 0.003, "int8 over HTTP " + accuracy + " vs fp32 " + q.fp32Accuracy());
        assertTrue(q.agreement() >= 0.99, "top-1 agreement with fp32 in process: " + q.agreement());
        // The out-of-distribution statistics were refitted on the int8 network's features.
        assertTrue(flagged <= 0.05 * test.count(), flagged + " test images flagged out of distribution");
    }

    @Test
    void oipV2AnswersAsV1Does() throws IOException {
        FashionMnist.Split test = FashionMnist.test(Datasets.fashionMnist());
        Http http = new Http(port);
        byte[] png = TestImages.png(fashionImage(test, 7));
        JsonNode v1 = http.post("/api/v1/classify?topK=10", new Multipart().file("image", "t.png", "image/png", png))
                .json().at("/results/0");
        String body = "{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\""
                + Base64.getEncoder().encodeToString(png) + "\"]}]}";
        Http.Response r = http.post("/v2/models/fashion-mnist-resnet18-int8/infer", "application/json", body.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, r.status(), r.body());
        JsonNode probabilities = r.json().at("/outputs/0/data");
        assertEquals(10, probabilities.size());
        for (JsonNode p : v1.get("predictions")) {
            assertEquals(p.get("probability").asDouble(), probabilities.get(p.get("index").asInt()).asDouble(), 1e-6);
        }
        assertEquals(v1.get("oodScore").asDouble(), r.json().at("/outputs/1/data/0").asDouble(), 1e-3);
    }

    /** Occlusion needs only forward passes, so an int8 model is explained as a float one is. */
    @Test
    void anInt8ModelIsExplained() throws IOException {
        FashionMnist.Split test = FashionMnist.test(Datasets.fashionMnist());
        byte[] png = TestImages.png(fashionImage(test, 7));
        Http.Response r = new Http(port).post("/api/v1/models/fashion-mnist-resnet18-int8/explain",
                new Multipart().file("image", "t.png", "image/png", png));
        assertEquals(200, r.status(), r.body());
        JsonNode values = r.json().at("/results/0/heatmap/values");
        assertEquals(64, values.size());
        double max = 0;
        for (JsonNode v : values) {
            max = Math.max(max, v.asDouble());
        }
        assertEquals(1.0, max, 1e-6, "some region of the item matters to its class");
    }

    private static java.awt.image.BufferedImage fashionImage(FashionMnist.Split test, int i) {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(test.images(), i * 784, (i + 1) * 784));
        return image;
    }
}
