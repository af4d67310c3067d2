package io.resnetservice.image;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The bundled OpenCV loads from its listed natives, not by JavaCPP's search (seconds inside the service's
 * jar): a version bump that renames a library fails here rather than silently slowing every start-up.
 */
class OpenCvJpegLoadTest {

    @Test
    void everyListedNativeIsOnTheClassPathAndTheListIsWhatLoaded() {
        Assumptions.assumeTrue("linux-x86_64".equals(Loader.getPlatform()), "the list is for linux-x86_64");
        LargeImageDecodeTest.assumeTurbo();
        for (String resource : OpenCvJpeg.LINUX_X86_64) {
            assertNotNull(OpenCvJpeg.class.getClassLoader().getResource(resource), resource);
        }
        assertTrue(TurboJpeg.available(JpegLibrary.BUNDLED_OPENCV), "the bundled OpenCV loads");
        assertTrue(OpenCvJpeg.loadedByList(), "loaded from the list, without JavaCPP's search");
    }
}
