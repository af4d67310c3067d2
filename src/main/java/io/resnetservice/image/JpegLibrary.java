package io.resnetservice.image;

/** Where a libjpeg-turbo for reduced-scale JPEG decoding comes from. */
public enum JpegLibrary {
    /** The system's {@code libturbojpeg.so.0} (Debian's {@code libturbojpeg0}): the first choice where present. */
    SYSTEM_TURBOJPEG,
    /** The libjpeg-turbo inside OpenCV's imgcodecs, from the service's own jar ({@code org.bytedeco:opencv}). */
    BUNDLED_OPENCV
}
