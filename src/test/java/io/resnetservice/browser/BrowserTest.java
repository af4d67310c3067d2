package io.resnetservice.browser;

import io.resnetservice.support.OsPackage;
import io.resnetservice.support.Requires;
import io.resnetservice.support.TempDirs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Datasets;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import tools.jackson.databind.JsonNode;
import io.resnetservice.support.TestImages;
import io.resnetservice.training.FashionMnist;
import io.resnetservice.training.OutOfDistribution;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * What a person sees, in Debian's headless Chromium: the demo page classifies an uploaded Fashion-MNIST
 * image, and Swagger UI's "Try it out" uploads a file. Screenshots land in target/screenshots.
 */
@Requires({OsPackage.CHROMIUM, OsPackage.FASHION_MNIST})
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    static ChromeDriver browser;
    static Path upload;
    static String expectedLabel;

    @LocalServerPort
    int port;

    @BeforeAll
    static void start() throws IOException {
        FashionMnist.Split test = FashionMnist.test(Datasets.fashionMnist()).first(1);
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28, test.images());
        expectedLabel = FashionMnist.LABELS.get(test.label(0));
        Files.createDirectories(SCREENSHOTS);
        upload = SCREENSHOTS.resolve("fashion-mnist-test-0.png").toAbsolutePath();
        Files.write(upload, TestImages.png(image));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,1150",
                "--user-data-dir=" + TempDirs.create("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    static void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    @Test
    void theDemoPageClassifiesAnUploadedImage() throws IOException {
        try {
            classifyOnTheDemoPage();
        } finally {
            screenshot("demo-page.png");
        }
    }

    private void classifyOnTheDemoPage() {
        browser.get("http://localhost:" + port + "/");
        waiting().until(d -> !d.findElements(By.cssSelector("#model-facts dd")).isEmpty());
        String parameters = browser.findElement(By.cssSelector("[data-fact=parameters]")).getText();
        assertEquals("11,178,378", parameters);
        double accuracy = ((Number) ModelFolder.embedded().metrics().get("accuracy")).doubleValue();
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f %%", 100 * accuracy),
                browser.findElement(By.cssSelector("[data-fact=test-accuracy]")).getText(), "the metrics.json figure");

        browser.findElement(By.id("file-input")).sendKeys(upload.toString());
        waiting().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#results .prediction"), 5));
        List<WebElement> predictions = browser.findElements(By.cssSelector("#results .prediction"));
        assertEquals(expectedLabel, predictions.get(0).findElement(By.className("label")).getText());
        // The same upload through the API: the page shows its top 5 in order, each bar as long as its probability.
        JsonNode api;
        try {
            api = new Http(port).post("/api/v1/classify?topK=5", new Multipart().file("image", "t.png", "image/png",
                    Files.readAllBytes(upload))).json().at("/results/0/predictions");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (int i = 0; i < 5; i++) {
            WebElement row = predictions.get(i);
            JsonNode expected = api.get(i);
            double probability = expected.get("probability").asDouble();
            assertEquals(expected.get("label").asString(), row.findElement(By.className("label")).getText());
            assertEquals(String.format(java.util.Locale.ROOT, "%.1f %%", 100 * probability),
                    row.findElement(By.className("probability")).getText());
            double track = row.findElement(By.className("track")).getSize().getWidth();
            double bar = row.findElement(By.className("bar")).getSize().getWidth();
            assertEquals(Math.max(2, track * Math.max(probability, 0.005)), bar, 1.5,
                    "bar " + i + " of a " + track + " px track for probability " + probability);
        }
        assertTrue(browser.findElement(By.cssSelector("#results .timing")).getText().contains("ms"));
        assertFalse(browser.findElement(By.cssSelector("#results .verdict")).isDisplayed(), "a test image is recognised");
        assertTrue(browser.findElement(By.cssSelector("[data-fact=not-recognised]")).getText().startsWith("mahalanobis"));
        assertTrue(browser.findElement(By.cssSelector("[data-fact=calibration]")).getText().startsWith("temperature"));
    }

    @Test
    void whyTogglesTheHeatmapOverTheUploadedImage() throws IOException {
        browser.get("http://localhost:" + port + "/");
        waiting().until(d -> !d.findElements(By.cssSelector("#model-facts dd")).isEmpty());
        browser.findElement(By.id("file-input")).sendKeys(upload.toString());
        WebElement why = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#results .why")));
        WebElement heatmap = browser.findElement(By.cssSelector("#results .heatmap"));
        assertFalse(heatmap.isDisplayed(), "hidden until asked for");
        why.click();
        waiting().until(ExpectedConditions.visibilityOf(heatmap));
        assertEquals("true", why.getAttribute("aria-pressed"));
        WebElement thumb = browser.findElement(By.cssSelector("#results .thumb"));
        assertEquals(thumb.getRect().getPoint(), heatmap.getRect().getPoint(), "drawn over the image");
        assertEquals(thumb.getRect().getDimension(), heatmap.getRect().getDimension(), "of the image's size");
        long painted = ((Number) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "const c = document.querySelector('#results .heatmap');"
                        + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + "let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;")).longValue();
        assertTrue(painted > 0, "the heatmap painted some of the image");
        screenshot("demo-page-why.png");
        why.click();
        waiting().until(ExpectedConditions.invisibilityOf(heatmap));
        assertEquals("false", why.getAttribute("aria-pressed"));
    }

    @Test
    void aPhotoOfACatIsShownAsNotRecognisedWithItsScores() throws IOException {
        Path cat = SCREENSHOTS.resolve("chelsea.jpg").toAbsolutePath();
        Assumptions.assumeTrue(OsPackage.SKIMAGE.testable(), OsPackage.SKIMAGE.missing());
        Files.write(cat, OutOfDistribution.cat());
        browser.get("http://localhost:" + port + "/");
        waiting().until(d -> !d.findElements(By.cssSelector("#model-facts dd")).isEmpty());
        browser.findElement(By.id("file-input")).sendKeys(cat.toString());
        waiting().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#results .prediction"), 5));
        WebElement verdict = browser.findElement(By.cssSelector("#results .verdict"));
        assertTrue(verdict.isDisplayed());
        assertTrue(verdict.getText().startsWith("Not recognised"), verdict.getText());
        screenshot("demo-page-not-recognised.png");
    }

    @Test
    void swaggerUiTriesTheClassifyOperationWithAFile() throws IOException {
        try {
            tryClassifyInSwaggerUi();
        } finally {
            screenshot("swagger-ui-classify.png");
        }
    }

    private void tryClassifyInSwaggerUi() {
        browser.get("http://localhost:" + port + "/swagger-ui/index.html");
        WebElement operation = waiting().until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("#operations-Classification-classify .opblock-summary")));
        operation.click();
        // Swagger UI re-renders while it expands; click until the Execute button shows.
        waiting().until(d -> {
            d.findElement(By.cssSelector("#operations-Classification-classify .try-out__btn")).click();
            return !d.findElements(By.cssSelector("#operations-Classification-classify .execute")).isEmpty();
        });
        WebElement file = waiting().until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#operations-Classification-classify input[type=file]")));
        file.sendKeys(upload.toString());
        browser.findElement(By.cssSelector("#operations-Classification-classify .execute")).click();
        WebElement status = waiting().until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#operations-Classification-classify .live-responses-table tbody .response-col_status")));
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()", status);
        assertEquals("200", status.getText().strip().split("\\s+")[0]);
        String body = browser.findElement(By.cssSelector(
                "#operations-Classification-classify .live-responses-table tbody .response-col_description pre")).getText();
        assertEquals(expectedLabel, Http.JSON.readTree(body)
                .at("/results/0/predictions/0/label").asString(), body);
    }
}
