package io.resnetservice.image;

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

    /** Loads the natives (extracted once into {@code ~/.javacpp/cache}); false, with the reason logged, where they cannot. */
    static boolean load() {
        try {
            Loader.load(opencv_imgcodecs.class);
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException | ExceptionInInitializerError | NoClassDefFoundError e) {
            log.warn("OpenCV's JPEG decoder (org.bytedeco:opencv) could not be loaded: {}", e.toString());
            return false;
        }
    }

    /**
     * Decodes {@code jpeg} reduced by {@code reduction} (1, 2, 4 or 8) as interleaved BGR, or grey, bytes of
     * {@code width x height} (in an array from {@link Pixels#borrowSamples}, possibly longer); null where OpenCV rejects the data or decodes another size.
     */
    static byte[] decode(byte[] jpeg, int width, int height, boolean grey, int reduction) {
        int flags = opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION | switch (reduction) {
            case 1 -> grey ? opencv_imgcodecs.IMREAD_GRAYSCALE : opencv_imgcodecs.IMREAD_COLOR;
            case 2 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_2 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
            case 4 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_4 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
            case 8 -> grey ? opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_8 : opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("reduction " + reduction);
        };
        try (BytePointer data = new BytePointer(jpeg);
                Mat encoded = new Mat(1, jpeg.length, opencv_core.CV_8UC1, data);
                Mat image = opencv_imgcodecs.imdecode(encoded, flags)) {
            int channels = grey ? 1 : 3;
            if (image.empty() || image.cols() != width || image.rows() != height || image.channels() != channels
                    || !image.isContinuous()) {
                return null;
            }
            byte[] samples = Pixels.borrowSamples(width * height * channels);
            image.data().get(samples, 0, width * height * channels);
            return samples;
        } catch (RuntimeException e) {
            log.debug("OpenCV refused an image: {}", e.getMessage());
            return null;
        }
    }
}
