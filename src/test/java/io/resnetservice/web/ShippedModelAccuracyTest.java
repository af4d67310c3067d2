package io.resnetservice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.support.Datasets;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.OsPackage;
import io.resnetservice.support.Requires;
import io.resnetservice.support.TestImages;
import ai.djl.Device;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.Outputs;
import io.resnetservice.training.CalibrateCommand;
import io.resnetservice.training.Evaluation;
import io.resnetservice.training.FashionMnist;
import io.resnetservice.training.OutOfDistribution;
import io.resnetservice.training.ProductPhotos;
import io.resnetservice.training.Reliability;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The model embedded in the application, served over real HTTP with the default configuration,
 * classifies Fashion-MNIST test images sent as files. The PNG check runs the fixed first 1,000
 * ({@code -Dfmnist.http.images=10000} runs the whole test set); the JPEG check always runs all 10,000,
 * because on 1,000 images a point is only ten images and the 1-point bound is for the test set.
 */
@Requires(OsPackage.FASHION_MNIST)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ShippedModelAccuracyTest {

    static final int IMAGES = Integer.getInteger("fmnist.http.images", 1000);
    static final int PER_REQUEST = 25;

    static FashionMnist.Split test;

    @LocalServerPort
    int port;

    @BeforeAll
    static void data() throws IOException {
        test = FashionMnist.test(Datasets.fashionMnist());
    }

    static BufferedImage image(int i) {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28,
                java.util.Arrays.copyOfRange(test.images(), i * 784, (i + 1) * 784));
        return image;
    }

    static BufferedImage rgb224(BufferedImage grey) {
        BufferedImage big = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = big.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(grey, 0, 0, 224, 224, null);
        g.dispose();
        return big;
    }

    double accuracy(String label, String contentType, int images, Function<Integer, byte[]> encode) {
        Http http = new Http(port);
        int correct = 0;
        for (int start = 0; start < images; start += PER_REQUEST) {
            Multipart m = new Multipart();
            int n = Math.min(PER_REQUEST, images - start);
            for (int i = 0; i < n; i++) {
                m.file("image", "test-" + (start + i), contentType, encode.apply(start + i));
            }
            Http.Response r = http.post("/api/v1/classify?topK=1", m);
            assertEquals(200, r.status(), r.body());
            JsonNode results = r.json().get("results");
            for (int i = 0; i < n; i++) {
                if (results.get(i).get("predictions").get(0).get("index").asInt() == test.label(start + i)) {
                    correct++;
                }
            }
        }
        double accuracy = (double) correct / images;
        System.out.printf(Locale.ROOT, "shipped model over HTTP, %s: %d/%d = %.4f%n", label, correct, images, accuracy);
        return accuracy;
    }

    /** The same images from the IDX bytes through the model's preprocessing and network, with no HTTP or PNG decoding. */
    static double inProcessAccuracy() {
        ModelFolder folder = ModelFolder.embedded();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = folder.newBlock();
            folder.loadWeights(block, manager);
            float[][] logits = Evaluation.logits(block, manager, FashionMnist.prepare(test.first(IMAGES), folder.spec()), 500);
            int correct = 0;
            for (int i = 0; i < logits.length; i++) {
                if (Evaluation.argmax(logits[i]) == test.label(i)) {
                    correct++;
                }
            }
            return (double) correct / logits.length;
        }
    }

    /**
     * The shipped model scores 95.4% on the first 1,000 (94.18% on all 10,000); the floor is the 93% the
     * default-model issue sets, and the serving path must not cost more than 0.3 points.
     */
    @Test
    void pngUploadsClassifyAsTheEvaluatedModelDoes() {
        double png = accuracy("28x28 PNG", "image/png", IMAGES, i -> TestImages.png(image(i)));
        double direct = inProcessAccuracy();
        System.out.printf(Locale.ROOT, "shipped model in process on the same images: %.4f%n", direct);
        assertEquals(direct, png, 0.003, "HTTP with PNG files within 0.3 points of the model itself");
        assertTrue(png >= 0.93, "accuracy " + png);
    }

    @Test
    void rgbJpegUploadsAt224ClassifyLikeTheOriginals() {
        // Shipped model: 94.18% as PNG, 93.43% as JPEG on all 10,000 (on the first 1,000: 95.4% and 94.4%).
        int all = test.count();
        double png = accuracy("28x28 PNG", "image/png", all, i -> TestImages.png(image(i)));
        double jpeg = accuracy("224x224 RGB JPEG q90", "image/jpeg", all, i -> TestImages.jpeg(rgb224(image(i)), 0.9f));
        assertEquals(png, jpeg, 0.01, "JPEG at 224 within 1 point of PNG");
        assertTrue(png >= 0.9418, "the README's figure, over all 10,000 as PNG over HTTP: " + png);
    }

    /** The default model's calibrated softmax and its out-of-distribution threshold, on held-out test images. */
    @Test
    void theWholeTestSetInProcessScoresTheFigureAndIsCalibrated() {
        try (LoadedModel model = LoadedModel.load(ModelFolder.embedded(), Device.cpu())) {
            FashionMnist.Prepared all = FashionMnist.prepare(test, model.spec());
            int size = all.tensorSize();
            int correct = 0;
            float[][] heldOut = new float[test.count() - CalibrateCommand.HELD_OUT][];
            int[] labels = new int[heldOut.length];
            float[] scores = new float[heldOut.length];
            for (int start = 0; start < test.count(); start += 500) {
                int n = Math.min(500, test.count() - start);
                Outputs out = model.outputs(List.of(java.util.Arrays.copyOfRange(all.tensors(), start * size,
                        (start + n) * size)), n);
                for (int i = 0; i < n; i++) {
                    int k = start + i;
                    correct += Evaluation.argmax(out.probabilities()[i]) == test.label(k) ? 1 : 0;
                    if (k >= CalibrateCommand.HELD_OUT) {
                        heldOut[k - CalibrateCommand.HELD_OUT] = out.probabilities()[i];
                        labels[k - CalibrateCommand.HELD_OUT] = test.label(k);
                        scores[k - CalibrateCommand.HELD_OUT] = out.oodScores()[i];
                    }
                }
            }
            double accuracy = (double) correct / test.count();
            double ece = Reliability.expectedCalibrationError(heldOut, labels, 15);
            double pass = Reliability.passRate(scores, model.spec().outOfDistribution().threshold());
            System.out.printf(Locale.ROOT, "shipped model in process: accuracy %.4f; on the last 5,000: ECE %.4f, %.4f in distribution%n",
                    accuracy, ece, pass);
            assertTrue(accuracy >= 0.9418, "accuracy over all 10,000 in process: " + accuracy);
            assertTrue(ece <= 0.02, "expected calibration error after temperature scaling: " + ece);
            assertTrue(pass >= 0.95, "held-out test images pass as in distribution: " + pass);
        }
    }

    /**
     * Test images staged as product photos (ProductPhotos: dark on white with margins, off-centre on grey in a
     * portrait frame), uploaded as files: the model's object framing recovers the dataset's framing.
     */
    @Test
    void productPhotosOfTheTestImagesAreClassifiedAsTheImagesAre() {
        int images = 300;
        for (ProductPhotos.Variant variant : List.of(ProductPhotos.Variant.WHITE_MARGINS, ProductPhotos.Variant.GREY_PORTRAIT)) {
            double accuracy = accuracy(variant.id, variant.mediaType(), images, i -> ProductPhotos.render(variant, test, i));
            assertTrue(accuracy >= (variant == ProductPhotos.Variant.WHITE_MARGINS ? 0.92 : 0.90),
                    variant.id + " on the first " + images + " test images: " + accuracy);
        }
    }

    @Test
    void aPhotoOfACatIsNotRecognisedWhileTestImagesAre() throws IOException {
        java.nio.file.Path chelsea = OutOfDistribution.SKIMAGE_DATA.resolve("chelsea.png");
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(chelsea),
                    "Debian's python3-skimage (its photographs) is not installed");
        }
        Http http = new Http(port);
        JsonNode cat = http.post("/api/v1/classify", new Multipart().file("image", "chelsea.jpg", "image/jpeg",
                OutOfDistribution.cat())).json().at("/results/0");
        assertTrue(cat.get("outOfDistribution").asBoolean(), "a cat is not clothing: " + cat);
        int flagged = 0;
        int images = 200;
        for (int start = 0; start < images; start += PER_REQUEST) {
            Multipart m = new Multipart();
            for (int i = start; i < start + PER_REQUEST; i++) {
                m.file("image", "test-" + i, "image/png", TestImages.png(image(i)));
            }
            for (JsonNode result : http.post("/api/v1/classify?topK=1", m).json().get("results")) {
                flagged += result.get("outOfDistribution").asBoolean() ? 1 : 0;
                assertTrue(result.get("oodScore").asDouble() > 0);
            }
        }
        assertTrue(flagged <= images / 10, flagged + " of the first " + images + " test images flagged");
    }

    @Test
    void v2CarriesTheOutOfDistributionScoreAsExtraOutputs() {
        Http http = new Http(port);
        String model = ModelFolder.embedded().spec().name();
        JsonNode meta = http.get("/v2/models/" + model).json();
        assertEquals(List.of("probabilities", "ood_score", "out_of_distribution"),
                meta.get("outputs").findValues("name").stream().map(JsonNode::asString).toList());
        String b64 = java.util.Base64.getEncoder().encodeToString(TestImages.png(image(0)));
        String input = "{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"" + b64 + "\"]}]";
        JsonNode all = http.post("/v2/models/" + model + "/infer", "application/json", (input + "}").getBytes(StandardCharsets.UTF_8)).json();
        JsonNode rest = http.post("/api/v1/classify", new Multipart().file("image", "t.png", "image/png",
                TestImages.png(image(0)))).json().at("/results/0");
        assertEquals(rest.get("oodScore").asDouble(), all.at("/outputs/1/data/0").asDouble(), 1e-3);
        assertEquals("BOOL", all.at("/outputs/2/datatype").asString());
        assertEquals(rest.get("outOfDistribution").asBoolean(), all.at("/outputs/2/data/0").asBoolean());
        JsonNode one = http.post("/v2/models/" + model + "/infer", "application/json",
                (input + ", \"outputs\": [{\"name\": \"out_of_distribution\"}]}").getBytes(StandardCharsets.UTF_8)).json();
        assertEquals(1, one.get("outputs").size());
        assertEquals("out_of_distribution", one.at("/outputs/0/name").asString());
    }
}
