package io.resnetservice.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Datasets;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.OsPackage;
import io.resnetservice.support.Requires;
import io.resnetservice.training.FashionMnist;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The pointing game (Zhang et al. 2016) with the shipped model: on two Fashion-MNIST test items of
 * different classes side by side on black, the heatmap's peak for each item's class must lie over that
 * item in at least 80 % of games (chance: 50 %); and for one item on a large blank canvas,
 * inside the item's box. Seeded, so every run sees the same composites.
 */
@Requires(OsPackage.FASHION_MNIST)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExplanationLocalisationTest {

    static final int PAIRS = 40;
    static final int SIZE = FashionMnist.SIZE;
    static FashionMnist.Split test;

    @LocalServerPort
    int port;

    @BeforeAll
    static void data() throws IOException {
        test = FashionMnist.test(Datasets.fashionMnist());
    }

    /** Test item {@code item} drawn at (x, y) on a black {@code width x height} canvas. */
    static void draw(BufferedImage canvas, int item, int x, int y) {
        for (int r = 0; r < SIZE; r++) {
            for (int c = 0; c < SIZE; c++) {
                int v = test.images()[item * SIZE * SIZE + r * SIZE + c] & 0xff;
                canvas.getRaster().setSample(x + c, y + r, 0, v);
            }
        }
    }

    static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    JsonNode explain(byte[] png, int classIndex) {
        Http.Response r = new Http(port).post("/api/v1/explain?class=" + classIndex,
                new Multipart().file("image", "composite.png", "image/png", png));
        assertEquals(200, r.status(), r.body());
        return r.json().at("/results/0/heatmap");
    }

    static int peak(JsonNode heatmap) {
        int best = 0;
        for (int i = 1; i < heatmap.get("values").size(); i++) {
            best = heatmap.get("values").get(i).asDouble() > heatmap.get("values").get(best).asDouble() ? i : best;
        }
        return best;
    }

    @Test
    void thePeakForEachItemsClassLiesOverThatItem() throws IOException {
        Random random = new Random(2016);
        int hits = 0;
        int games = 0;
        while (games < 2 * PAIRS) {
            int left = random.nextInt(test.count());
            int right = random.nextInt(test.count());
            int leftClass = test.labels()[left];
            int rightClass = test.labels()[right];
            if (leftClass == rightClass) {
                continue;
            }
            BufferedImage canvas = new BufferedImage(2 * SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
            draw(canvas, left, 0, 0);
            draw(canvas, right, SIZE, 0);
            byte[] composite = png(canvas);
            for (int side = 0; side < 2; side++) {
                JsonNode heatmap = explain(composite, side == 0 ? leftClass : rightClass);
                int cols = heatmap.get("cols").asInt();
                int col = peak(heatmap) % cols;
                boolean onLeft = col < cols / 2;
                hits += onLeft == (side == 0) ? 1 : 0;
                games++;
            }
        }
        double rate = (double) hits / games;
        System.out.printf(Locale.ROOT, "pointing game: %d of %d peaks over the item of the class explained (%.1f %%)%n",
                hits, games, 100 * rate);
        assertTrue(rate >= 0.8, "the peak lies over the explained item in at least 80 % of games (chance: 50 %): "
                + hits + " of " + games);
    }

    @Test
    void oneItemOnALargeBlankCanvasHoldsThePeak() throws IOException {
        Random random = new Random(2017);
        int canvasSize = 4 * SIZE;
        for (int trial = 0; trial < 10; trial++) {
            int item = random.nextInt(test.count());
            int x = random.nextInt(canvasSize - SIZE);
            int y = random.nextInt(canvasSize - SIZE);
            BufferedImage canvas = new BufferedImage(canvasSize, canvasSize, BufferedImage.TYPE_BYTE_GRAY);
            draw(canvas, item, x, y);
            JsonNode heatmap = explain(png(canvas), test.labels()[item]);
            int rows = heatmap.get("rows").asInt();
            int cols = heatmap.get("cols").asInt();
            int cell = peak(heatmap);
            // The peak cell's region of the canvas, in pixels, must overlap the item's box.
            double cx0 = (double) (cell % cols) * canvasSize / cols;
            double cx1 = (double) (cell % cols + 1) * canvasSize / cols;
            double cy0 = (double) (cell / cols) * canvasSize / rows;
            double cy1 = (double) (cell / cols + 1) * canvasSize / rows;
            boolean inside = cx1 > x && cx0 < x + SIZE && cy1 > y && cy0 < y + SIZE;
            assertTrue(inside, "trial " + trial + ": peak cell " + cell + " [" + cx0 + ", " + cx1 + ") x [" + cy0 + ", "
                    + cy1 + ") misses the item at (" + x + ", " + y + ") of size " + SIZE);
        }
    }
}
