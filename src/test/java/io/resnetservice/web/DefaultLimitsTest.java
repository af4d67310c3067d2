package io.resnetservice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.TestImages;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The limits as shipped (application.yaml: 40,000,000 pixels, 32 images per request), with no test
 * overrides: an image and a request just inside each limit are answered, just outside are refused.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DefaultLimitsTest {

    @LocalServerPort
    int port;

    /** A smooth grey picture of w x h pixels as JPEG (small on the wire, large decoded). */
    static byte[] gradientJpeg(int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] row = new byte[w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                row[x] = (byte) ((x + y) * 255 / (w + h));
            }
            image.getRaster().setDataElements(0, y, w, 1, row);
        }
        return TestImages.jpeg(image, 0.8f);
    }

    @Test
    void aPictureOfFortyMillionPixelsIsClassifiedAndOnePixelRowMoreIsRefused() {
        Http http = new Http(port);
        // 6000 x 6666 = 39,996,000 pixels; 6001 x 6666 = 40,002,666.
        Http.Response inside = http.post("/api/v1/classify", "image/jpeg", gradientJpeg(6000, 6666));
        assertEquals(200, inside.status(), inside.body());
        assertEquals(6000, inside.json().at("/results/0/width").asInt());
        Http.Response outside = http.post("/api/v1/classify", "image/png", TestImages.pngDeclaring(6001, 6666));
        assertEquals(413, outside.status(), outside.body());
        assertTrue(outside.body().contains("over the limit of 40000000 pixels"), outside.body());
    }

    @Test
    void thirtyTwoImagesInOneRequestAreClassifiedAndThirtyThreeAreRefused() {
        Http http = new Http(port);
        Multipart m = new Multipart();
        for (int i = 0; i < 33; i++) {
            m.file("image", "i" + i + ".png", "image/png", TestImages.png(TestImages.grey(28, 28, i)));
            if (i == 31) {
                JsonNode ok = http.post("/api/v1/classify?topK=1", m).json();
                assertEquals(32, ok.get("results").size(), ok.toString());
            }
        }
        Http.Response refused = http.post("/api/v1/classify?topK=1", m);
        assertEquals(413, refused.status(), refused.body());
        assertTrue(refused.json().get("type").asString().endsWith("/too-many-images"), refused.body());
    }
}
