package io.resnetservice.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.JpegLibrary;
import io.resnetservice.model.Npz;
import io.resnetservice.support.OsPackage;
import io.resnetservice.support.Python;
import io.resnetservice.support.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Phone-photo-sized JPEGs made from real photographs, decoded at reduced scale and preprocessed by us,
 * against torchvision's recipe on the full-size decode (Pillow, Resize(256) antialiased, CenterCrop(224)).
 * The contract: mean |difference| under 0.01 normalised units, with and without TurboJPEG.
 */
class LargePhotoParityTest {

    @ParameterizedTest(name = "{0} progressive={1}: reduced by {2}")
    @CsvSource({"4032x3024, false, 4", "4032x3024, true, 4", "3024x4032, false, 4", "1024x768, false, 1",
        "8000x6000, false, 8"})
    void aReducedDecodeMatchesTorchvisionOnTheFullPhoto(String size, boolean progressive, int reduction,
            @TempDir Path tmp) throws Exception {
        Python.assumePhotographs();
        Path jpeg = tmp.resolve("photo.jpg");
        if (progressive) {
            Python.tool("make_photo.py", "--size", size, "--out", jpeg.toString(), "--progressive");
        } else {
            Python.tool("make_photo.py", "--size", size, "--out", jpeg.toString());
        }
        Python.tool("torchvision_reference.py", "--image", jpeg.toString(), "--out", tmp.resolve("ref").toString());
        float[] expected = Npz.readNpy(Files.readAllBytes(tmp.resolve("ref-tensor.npy")), "tensor").data();
        byte[] bytes = Files.readAllBytes(jpeg);
        Preprocessor pre = new Preprocessor(TestModels.IMAGENET_INPUT, TestModels.IMAGENET_PREPROCESS);

        // Every path a machine may decode with: the system's TurboJPEG, the bundled OpenCV, ImageIO.
        for (JpegLibrary library : new JpegLibrary[] {JpegLibrary.SYSTEM_TURBOJPEG, JpegLibrary.BUNDLED_OPENCV, null}) {
            boolean switchedOff = Boolean.getBoolean("resnet.turbojpeg.disabled");
            if (library != null && (switchedOff || !ImageDecoder.available(library))) {
                assertTrue(switchedOff || library == JpegLibrary.SYSTEM_TURBOJPEG && !OsPackage.inCi(),
                        library + " must be available (CI installs libturbojpeg0; OpenCV comes in the jar)");
                System.out.println(library + " is not available here: that path is not compared");
                continue;
            }
            boolean turbo = library != null;
            ImageDecoder decoder = new ImageDecoder(100_000_000, library);
            ImageDecoder.Plan plan = decoder.plan(bytes, pre::resizedSize);
            assertEquals(reduction, plan.reduction(), "reduction");
            assertEquals(turbo, plan.turbo());
            float[] ours = pre.apply(decoder.decode(bytes, plan));
            double max = 0;
            double mean = 0;
            for (int i = 0; i < ours.length; i++) {
                double d = Math.abs(ours[i] - expected[i]);
                max = Math.max(max, d);
                mean += d;
            }
            mean /= ours.length;
            System.out.printf(Locale.ROOT, "%s progressive=%s decoder=%s reduced 1/%d vs torchvision: max |diff| %.4f, mean |diff| %.5f%n",
                    size, progressive, library == null ? "imageio" : library, plan.reduction(), max, mean);
            assertTrue(mean < 0.01, "mean " + mean);
            assertTrue(max < 0.15, "max " + max);
        }
    }
}
