package io.resnetservice.image;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JPEG decoding through the libjpeg-turbo inside OpenCV's imgcodecs (bytedeco's {@code opencv} jar, natives
 * loaded from the jar): for machines without the system's TurboJPEG. {@code IMREAD_REDUCED_*} decodes at
 * 1/2, 1/4 or 1/8 in the DCT domain as TurboJPEG's scaled decode does; orientation is left to the caller.
 */
final class OpenCvJpeg {

    private static final Logger log = LoggerFactory.getLogger(OpenCvJpeg.class);

    private OpenCvJpeg() {}

    /**
     * The natives imgcodecs needs on linux-x86_64, in load order (dependencies first), as bundled by
     * org.bytedeco:opencv 4.11.0-1.5.12, openblas 0.3.30-1.5.12 and javacpp 1.5.12.
     */
    static final List<String> LINUX_X86_64 = List.of(
            "org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so",
            "org/bytedeco/openblas/linux-x86_64/libquadmath.so.0",
            "org/bytedeco/openblas/linux-x86_64/libgfortran.so.5",
            "org/bytedeco/openblas/linux-x86_64/libopenblas.so.0",
            "org/bytedeco/opencv/linux-x86_64/libopencv_core.so.411",
            "org/bytedeco/opencv/linux-x86_64/libopencv_imgproc.so.411",
            "org/bytedeco/opencv/linux-x86_64/libopencv_imgcodecs.so.411",
            "org/bytedeco/opencv/linux-x86_64/libjniopencv_core.so",
            "org/bytedeco/opencv/linux-x86_64/libjniopencv_imgproc.so",
            "org/bytedeco/opencv/linux-x86_64/libjniopencv_imgcodecs.so");

    /** Loads the natives (extracted once into {@code ~/.javacpp/cache}); false, with the reason logged, where they cannot. */
    static boolean load() {
        try {
            if (!loadListed()) {
                Loader.load(opencv_imgcodecs.class);
            }
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException | ExceptionInInitializerError | NoClassDefFoundError e) {
            log.warn("OpenCV's JPEG decoder (org.bytedeco:opencv) could not be loaded: {}", e.toString());
            return false;
        }
    }

    /**
     * Loads {@link #LINUX_X86_64} by name, each from JavaCPP's cache (extracted there on first use), then lets
     * JavaCPP initialise its classes without searching. Its own search probes dozens of file names per
     * library through every jar on the class path, several times per miss: inside the service's jar that
     * took 2-6 s of a start-up and its garbage grew the heap. False where this platform or these files do
     * not apply, for JavaCPP's own search.
     */
    private static boolean loadListed() {
        if (!"linux-x86_64".equals(Loader.getPlatform())) {
            return false;
        }
        ClassLoader loader = OpenCvJpeg.class.getClassLoader();
        List<File> files = new ArrayList<>();
        for (String resource : LINUX_X86_64) {
            URL url = loader.getResource(resource);
            if (url == null) {
                return false;
            }
            try {
                files.add(Loader.cacheResource(url));
            } catch (IOException e) {
                return false;
            }
        }
        for (File file : files) {
            System.load(file.getAbsolutePath());
        }
        // Every library is loaded. JavaCPP does not know that, and each of its classes (Mat, BytePointer,
        // ...) would search again when first used: from here on it loads nothing (nothing else here uses it).
        System.setProperty("org.bytedeco.javacpp.loadLibraries", "false");
        Loader.load(opencv_imgcodecs.class);
        loadedByList = true;
        return true;
    }

    private static volatile boolean loadedByList;

    /** Whether the natives were loaded from {@link #LINUX_X86_64} rather than by JavaCPP's own search. */
    static boolean loadedByList() {
        return loadedByList;
    }

    /**
     * Decodes the first {@code length} bytes of {@code jpeg} reduced by {@code reduction} (1, 2, 4 or 8) as interleaved BGR, or grey, bytes of
     * {@code width x height} (in an array from {@link Pixels#borrowSamples}, possibly longer); null where OpenCV rejects the data or decodes another size.
     */
    static byte[] decode(byte[] jpeg, int length, int width, int height, boolean grey, int reduction) {
        int flags = opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION | switch (reduction) {
            case 1 -> grey ? opencv_imgcodecs.IMREAD_GRAYSCALE : opencv_imgcodecs.IMREAD_COLOR;
            case 2 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_2 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
            case 4 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_4 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
            case 8 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_8 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("reduction " + reduction);
        };
        // Bytes cross through direct-buffer views of the native memory, not JavaCPP's array copies: those hold
        // JNI critical sections, and a collection the GC locker delays makes G1 grow the heap instead.
        try (BytePointer data = new BytePointer(length)) {
            data.asBuffer().put(jpeg, 0, length);
            try (Mat encoded = new Mat(1, length, opencv_core.CV_8UC1, data);
                    Mat image = opencv_imgcodecs.imdecode(encoded, flags)) {
                int channels = grey ? 1 : 3;
                if (image.empty() || image.cols() != width || image.rows() != height || image.channels() != channels
                        || !image.isContinuous()) {
                    return null;
                }
                int decoded = width * height * channels;
                byte[] samples = Pixels.borrowSamples(decoded);
                image.data().capacity(decoded).asBuffer().get(samples, 0, decoded);
                return samples;
            }
        } catch (RuntimeException e) {
            log.debug("OpenCV refused an image: {}", e.getMessage());
            return null;
        }
    }
}
