package io.resnetservice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.ResnetServiceApplication;
import io.resnetservice.image.ImageDecoder;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.Npz;
import io.resnetservice.preprocess.Preprocessor;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.Python;
import io.resnetservice.support.TestImages;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * An ImageNet-style model from torchvision, served over HTTP: our decoding and preprocessing against
 * torchvision's transforms on the same JPEG, and our answer against torchvision's.
 */
class ImageNetEndToEndTest {

    static BufferedImage photo() {
        BufferedImage image = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(30, 90, 200), 500, 375, new Color(240, 200, 60)));
        g.fillRect(0, 0, 500, 375);
        g.setColor(new Color(200, 30, 40));
        g.fillOval(150, 90, 200, 180);
        g.setStroke(new BasicStroke(9));
        g.setColor(new Color(20, 120, 40));
        g.drawLine(20, 340, 480, 30);
        g.dispose();
        return image;
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void aJpegIsPreprocessedAndClassifiedAsTorchvisionDoes(@TempDir Path tmp) throws Exception {
        Python.assumePhotographs();
        Path models = tmp.resolve("models");
        Python.tool("torchvision_export.py", "--arch", "resnet18", "--seed", "5",
                "--out", models.resolve("imagenet-resnet18").toString());
        Python.tool("torchvision_export.py", "--arch", "resnet18", "--seed", "5", "--format", "torchscript",
                "--out", models.resolve("imagenet-resnet18-ts").toString());
        byte[] jpeg = TestImages.jpeg(photo(), 0.9f);
        Path file = tmp.resolve("photo.jpg");
        Files.write(file, jpeg);
        Python.tool("torchvision_reference.py", "--image", file.toString(), "--out", tmp.resolve("ref").toString(),
                "--arch", "resnet18", "--seed", "5");
        float[] expectedTensor = Npz.readNpy(Files.readAllBytes(tmp.resolve("ref-tensor.npy")), "tensor").data();
        float[] expectedProbabilities = Npz.readNpy(Files.readAllBytes(tmp.resolve("ref-probabilities.npy")), "p").data();

        // Preprocessing: decode + shorter-side resize to 256 + center crop 224 + normalise.
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(models.resolve("imagenet-resnet18")));
        float[] ours = new Preprocessor(folder.spec().input(), folder.spec().preprocess())
                .apply(new ImageDecoder(40_000_000).decode(jpeg));
        double max = 0;
        double mean = 0;
        for (int i = 0; i < ours.length; i++) {
            double d = Math.abs(ours[i] - expectedTensor[i]);
            max = Math.max(max, d);
            mean += d;
        }
        mean /= ours.length;
        System.out.printf(Locale.ROOT, "preprocessing vs torchvision (normalised units): max |diff| %.4f, mean |diff| %.5f%n", max, mean);
        // Pillow rounds to 8 bits after each resize pass and decodes JPEG with libjpeg-turbo: a few levels of 255.
        assertTrue(max < 0.15, "max " + max);
        assertTrue(mean < 0.01, "mean " + mean);

        // A phone photo, decoded at a quarter of its size: top-1 as torchvision's on the full decode.
        Path phone = tmp.resolve("phone.jpg");
        Python.tool("make_photo.py", "--size", "4032x3024", "--out", phone.toString());
        Python.tool("torchvision_reference.py", "--image", phone.toString(), "--out", tmp.resolve("phone").toString(),
                "--arch", "resnet18", "--seed", "5");
        float[] phoneProbabilities = Npz.readNpy(Files.readAllBytes(tmp.resolve("phone-probabilities.npy")), "p").data();

        ConfigurableApplicationContext app = new SpringApplicationBuilder(ResnetServiceApplication.class).run(
                "--server.port=0", "--spring.grpc.server.port=0", "--resnet.model-dir=" + models, "--resnet.device=cpu",
                "--management.server.port=", "--spring.main.banner-mode=off");
        try {
            Http http = new Http(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
            java.util.Map<String, JsonNode> heatmaps = new java.util.HashMap<>();
            for (String model : new String[] {"imagenet-resnet18", "imagenet-resnet18-ts"}) {
                Http.Response r = http.post("/api/v1/models/" + model + "/classify?topK=5",
                        new Multipart().file("image", "photo.jpg", "image/jpeg", jpeg));
                assertEquals(200, r.status(), r.body());
                JsonNode predictions = r.json().at("/results/0/predictions");
                int best = 0;
                for (int i = 1; i < expectedProbabilities.length; i++) {
                    if (expectedProbabilities[i] > expectedProbabilities[best]) {
                        best = i;
                    }
                }
                assertEquals(best, predictions.get(0).get("index").asInt(), model + " top-1");
                double worst = 0;
                for (JsonNode p : predictions) {
                    worst = Math.max(worst, Math.abs(p.get("probability").asDouble()
                            - expectedProbabilities[p.get("index").asInt()]));
                }
                System.out.printf(Locale.ROOT, "%s over HTTP vs torchvision: top-1 %s, max |probability diff| in top-5 %.2e%n",
                        model, predictions.get(0).get("label").asString(), worst);
                assertTrue(worst < 2e-3, model + ": " + worst);

                Http.Response photo = http.post("/api/v1/models/" + model + "/classify?topK=1",
                        new Multipart().file("image", "phone.jpg", "image/jpeg", Files.readAllBytes(phone)));
                assertEquals(200, photo.status(), photo.body());
                assertEquals(4032, photo.json().at("/results/0/width").asInt(), "the photo's own size is reported");
                JsonNode top = photo.json().at("/results/0/predictions/0");
                System.out.printf(Locale.ROOT, "%s, 4032x3024 photo: top-1 %d (p %.4f), torchvision %d (p %.4f)%n", model,
                        top.get("index").asInt(), top.get("probability").asDouble(), argmax(phoneProbabilities),
                        phoneProbabilities[argmax(phoneProbabilities)]);
                assertEquals(argmax(phoneProbabilities), top.get("index").asInt(), model + " top-1 on the phone photo");

                // Occlusion needs only forward passes: a TorchScript module is explained as our own network is.
                Http.Response why = http.post("/api/v1/models/" + model + "/explain",
                        new Multipart().file("image", "photo.jpg", "image/jpeg", jpeg));
                assertEquals(200, why.status(), why.body());
                assertEquals(best, why.json().at("/results/0/class/index").asInt(), model + ": the top class explained");
                JsonNode heatmap = why.json().at("/results/0/heatmap");
                assertEquals(6, heatmap.get("rows").asInt(), "500x375 on an 8-cell grid");
                assertEquals(8, heatmap.get("cols").asInt());
                for (JsonNode v : heatmap.get("values")) {
                    assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1, model + ": " + v);
                }
                heatmaps.put(model, heatmap.get("values"));
            }
            // The same weights as a state dict and as TorchScript: the same explanation, whichever runtime runs it.
            double apart = 0;
            for (int i = 0; i < heatmaps.get("imagenet-resnet18").size(); i++) {
                apart = Math.max(apart, Math.abs(heatmaps.get("imagenet-resnet18").get(i).asDouble()
                        - heatmaps.get("imagenet-resnet18-ts").get(i).asDouble()));
            }
            System.out.printf(Locale.ROOT, "explanations, state dict vs TorchScript: max |heatmap diff| %.2e%n", apart);
            assertTrue(apart < 0.02, "max |heatmap diff| " + apart);
        } finally {
            app.close();
        }
    }
}
