package io.resnetservice.image;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JPEG decoding through the system's TurboJPEG library ({@code libturbojpeg.so.0}, Debian's
 * {@code libturbojpeg0}): SIMD, and scaling in the DCT domain, so a 1/8-scale decode of a 12-megapixel photo
 * never holds the full-size pixels. Where the library is missing, {@link #available()} is false and the
 * decoder takes the libjpeg-turbo bundled in OpenCV ({@link OpenCvJpeg}), and only without both ImageIO.
 */
final class TurboJpeg {

    private static final Logger log = LoggerFactory.getLogger(TurboJpeg.class);

    /** {@code TJPF_RGB} and {@code TJPF_GRAY} of turbojpeg.h. */
    static final int PIXEL_RGB = 0;
    static final int PIXEL_GREY = 6;
    /** {@code TJFLAG_LIMITSCANS}: refuse progressive JPEGs of more than 500 scans, a known way to burn CPU. */
    private static final int FLAG_LIMIT_SCANS = 32768;
    /** {@code TJERR_WARNING}: e.g. a truncated file, decoded as far as it goes (as ImageIO does). */
    private static final int ERROR_WARNING = 0;

    interface Lib extends Library {
        Pointer tjInitDecompress();

        int tjDecompress2(Pointer handle, Pointer jpeg, NativeLong size, Pointer out, int width, int pitch,
                int height, int pixelFormat, int flags);

        int tjGetErrorCode(Pointer handle);

        String tjGetErrorStr2(Pointer handle);

        int tjDestroy(Pointer handle);
    }

    private static final boolean DISABLED = Boolean.getBoolean("resnet.turbojpeg.disabled");
    /** {@code bundled}: skip the system library (to measure or test the bundled one); default: system first. */
    private static final boolean BUNDLED_ONLY = "bundled".equals(System.getProperty("resnet.turbojpeg.library"));
    private static final Lib LIB = DISABLED || BUNDLED_ONLY ? null : load();
    private static final JpegLibrary PREFERRED = preferred();

    private TurboJpeg() {}

    /** Loaded on first use: machines with the system library never load OpenCV unless a caller asks for it. */
    private static final class Bundled {
        static final boolean LOADED = !DISABLED && OpenCvJpeg.load();
    }

    /**
     * What was chosen and why, said once by {@link #reportChoice}: the choice is often made on a thread of
     * its own before Spring's logging is set up, when a message would be dropped.
     */
    private static String choice;
    private static boolean choiceIsWarning;
    private static final java.util.concurrent.atomic.AtomicBoolean REPORTED = new java.util.concurrent.atomic.AtomicBoolean();

    private static JpegLibrary preferred() {
        if (DISABLED) {
            choose(true, "TurboJPEG is switched off (resnet.turbojpeg.disabled): JPEGs are decoded at full size by ImageIO");
            return null;
        }
        if (LIB != null) {
            choose(false, "JPEGs are decoded by the system's TurboJPEG, at reduced scale where the model needs fewer pixels");
            return JpegLibrary.SYSTEM_TURBOJPEG;
        }
        long start = System.nanoTime();
        if (Bundled.LOADED) {
            choose(false, "JPEGs are decoded by the libjpeg-turbo in OpenCV's imgcodecs (loaded in "
                    + (System.nanoTime() - start) / 1_000_000 + " ms), at reduced scale where the model needs fewer "
                    + "pixels; the system's TurboJPEG (libturbojpeg.so.0, Debian package libturbojpeg0) is not installed");
            return JpegLibrary.BUNDLED_OPENCV;
        }
        choose(true, "No libjpeg-turbo could be loaded: JPEGs are decoded at full size by ImageIO, slower and with more "
                + "memory per image");
        return null;
    }

    private static void choose(boolean warning, String message) {
        choice = message;
        choiceIsWarning = warning;
    }

    /** Logs the library JPEGs are decoded with, the first time it is called. */
    static void reportChoice() {
        library();
        if (REPORTED.compareAndSet(false, true)) {
            if (choiceIsWarning) {
                log.warn(choice);
            } else {
                log.info(choice);
            }
        }
    }

    private static Lib load() {
        try {
            Lib lib = Native.load("turbojpeg", Lib.class);
            Pointer handle = lib.tjInitDecompress();
            if (handle == null) {
                throw new UnsatisfiedLinkError("tjInitDecompress returned no handle");
            }
            lib.tjDestroy(handle);
            return lib;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null; // said by reportChoice, with what is used instead
        }
    }

    /** The library JPEGs are decoded with by default; null: ImageIO. */
    static JpegLibrary library() {
        return PREFERRED;
    }

    static boolean available() {
        return PREFERRED != null;
    }

    static boolean available(JpegLibrary library) {
        return switch (library) {
            case SYSTEM_TURBOJPEG -> LIB != null;
            case BUNDLED_OPENCV -> Bundled.LOADED;
        };
    }

    /**
     * Decodes {@code jpeg} with {@code library} at {@code width x height}, the image reduced by {@code reduction};
     * interleaved RGB (system) or BGR (bundled) bytes, or grey, in an array from {@link Pixels#borrowSamples}
     * (it may be longer). Null for data the library rejects.
     */
    static byte[] decode(JpegLibrary library, byte[] jpeg, int width, int height, boolean grey, int reduction) {
        return decode(library, jpeg, jpeg.length, width, height, grey, reduction);
    }

    /** As above for a JPEG that is the first {@code length} bytes of {@code jpeg}. */
    static byte[] decode(JpegLibrary library, byte[] jpeg, int length, int width, int height, boolean grey,
            int reduction) {
        return switch (library) {
            case SYSTEM_TURBOJPEG -> decode(jpeg, length, width, height, grey ? PIXEL_GREY : PIXEL_RGB);
            case BUNDLED_OPENCV -> OpenCvJpeg.decode(jpeg, length, width, height, grey, reduction);
        };
    }

    /**
     * Decodes {@code jpeg} at {@code width x height}, which must be one of the library's scaled sizes of the
     * image ({@code ceil(size * m / 8)}), as interleaved RGB or grey bytes. Returns null for data it
     * rejects; a file cut short in its scans decodes as far as it goes, as with ImageIO.
     */
    private static byte[] decode(byte[] jpeg, int length, int width, int height, int pixelFormat) {
        int channels = pixelFormat == PIXEL_GREY ? 1 : 3;
        Pointer handle = LIB.tjInitDecompress();
        if (handle == null) {
            return null;
        }
        try (Memory in = new Memory(length); Memory out = new Memory((long) width * height * channels)) {
            in.write(0, jpeg, 0, length);
            int rc = LIB.tjDecompress2(handle, in, new NativeLong(length), out, width, 0, height,
                    pixelFormat, FLAG_LIMIT_SCANS);
            if (rc != 0 && LIB.tjGetErrorCode(handle) != ERROR_WARNING) {
                log.debug("TurboJPEG refused an image: {}", LIB.tjGetErrorStr2(handle));
                return null;
            }
            int decoded = width * height * channels;
            byte[] samples = Pixels.borrowSamples(decoded);
            out.read(0, samples, 0, decoded);
            return samples;
        } finally {
            LIB.tjDestroy(handle);
        }
    }
}
