package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HeapRegionsTest {

    static final long MB = 1 << 20;
    /** A 3x224x224 float tensor. */
    static final long IMAGENET_224 = 3L * 224 * 224 * Float.BYTES;

    @Test
    void anArrayOfHalfARegionOrMoreIsHumongous() {
        assertTrue(HeapRegions.humongous(IMAGENET_224, MB), "602 KB in 1 MB regions");
        assertFalse(HeapRegions.humongous(IMAGENET_224, 2 * MB));
        assertTrue(HeapRegions.humongous(MB / 2 - 16, MB), "the header counts");
        assertFalse(HeapRegions.humongous(MB / 2 - 17, MB));
        assertFalse(HeapRegions.humongous(784L * Float.BYTES, MB), "a Fashion-MNIST image");
    }

    @Test
    void theRecommendedRegionIsTheSmallestThatHoldsTheTensorAsAnOrdinaryObject() {
        assertEquals(MB, HeapRegions.regionFor(784L * Float.BYTES));
        assertEquals(2 * MB, HeapRegions.regionFor(IMAGENET_224));
        assertEquals(8 * MB, HeapRegions.regionFor(3L * 512 * 512 * Float.BYTES), "3 MB");
        assertEquals(32 * MB, HeapRegions.regionFor(100 * MB), "G1's largest region");
    }

    @Test
    void theWarningNamesTheModelTheSizesAndTheSetting() {
        assertEquals("Each request's input tensor for resnet18 (588 KB) is a humongous object in G1's 1 MB heap regions:"
                + " under load the heap grows far beyond what it holds. Start the JVM with -XX:G1HeapRegionSize=4m"
                + " (the container image and the chart do)", HeapRegions.warning("resnet18", IMAGENET_224, MB));
        assertNull(HeapRegions.warning("resnet18", IMAGENET_224, 4 * MB));
        assertEquals(true, HeapRegions.warning("big", 3L * 1024 * 1024 * 4, MB).contains("-XX:G1HeapRegionSize=32m"));
    }

    @Test
    void thisJvmsRegionSizeIsReadWhenItRunsG1() {
        HeapRegions.g1RegionBytes().ifPresent(region -> {
            assertTrue(region >= MB && region <= 32 * MB && Long.bitCount(region) == 1, "a power of two: " + region);
        });
    }

    static long regionSetIn(String text, String where) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("G1HeapRegionSize[=:] ?\"?(\\d+)m").matcher(text);
        assertTrue(m.find(), "no region size in " + where);
        return Long.parseLong(m.group(1)) * MB;
    }

    @Test
    void theImageTheChartAndSpringBootRunUseRegionsInWhichAnImageNetTensorIsOrdinary() throws Exception {
        String dockerfile = java.nio.file.Files.readString(java.nio.file.Path.of("Dockerfile"));
        String pom = java.nio.file.Files.readString(java.nio.file.Path.of("pom.xml"));
        String values = java.nio.file.Files.readString(java.nio.file.Path.of("helm/resnet-service/values.yaml"));
        assertFalse(HeapRegions.humongous(IMAGENET_224, regionSetIn(dockerfile, "the Dockerfile")));
        assertFalse(HeapRegions.humongous(IMAGENET_224, regionSetIn(pom, "the pom")));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("heapRegionSize: (\\d+)m").matcher(values);
        assertTrue(m.find(), "the chart's jvm.heapRegionSize");
        assertFalse(HeapRegions.humongous(IMAGENET_224, Long.parseLong(m.group(1)) * MB));
    }
}
