package io.resnetservice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.support.Datasets;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.TestImages;
import io.resnetservice.training.Evaluation;
import io.resnetservice.training.FashionMnist;
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
        System.out.printf("shipped model over HTTP, %s: %d/%d = %.4f%n", label, correct, images, accuracy);
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
        System.out.printf("shipped model in process on the same images: %.4f%n", direct);
        assertEquals(direct, png, 0.003, "HTTP with PNG files within 0.3 points of the model itself");
        assertTrue(png >= 0.93, "accuracy " + png);
    }

    @Test
    void rgbJpegUploadsAt224ClassifyLikeTheOriginals() {
        // Shipped model: 94.18% as PNG, 93.41% as JPEG on all 10,000 (on the first 1,000: 95.4% and 94.4%).
        int all = test.count();
        double png = accuracy("28x28 PNG", "image/png", all, i -> TestImages.png(image(i)));
        double jpeg = accuracy("224x224 RGB JPEG q90", "image/jpeg", all, i -> TestImages.jpeg(rgb224(image(i)), 0.9f));
        assertEquals(png, jpeg, 0.01, "JPEG at 224 within 1 point of PNG");
    }
}
