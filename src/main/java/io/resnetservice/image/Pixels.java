package io.resnetservice.image;

import io.resnetservice.buffers.ArrayPool;

/**
 * A decoded image as floats in [0, 1], planar (all of channel 0, then channel 1, ...), with 1 (grey) or
 * 3 (RGB) channels. Transparency has already been composited onto white.
 *
 * <p>A decoded JPEG can instead stay as the decoder's interleaved 8-bit samples ({@link #rgb8()}): the
 * preprocessor resamples straight from them, and the float planes are only built if something asks
 * for {@link #data()}. Converting a 1024x768 photo to floats first cost as much as resizing it.
 */
public final class Pixels {

    /**
     * Interleaved 8-bit RGB: pixel {@code i}'s channel {@code c} is {@code bytes[3 * i + offsets[c]]}.
     */
    public record Rgb8(byte[] bytes, int[] offsets) {}

    private final int width;
    private final int height;
    private final int channels;
    private Rgb8 rgb8;
    /** Whether {@link #rgb8} was borrowed from {@link ArrayPool#SHARED}, to go back there on {@link #release}. */
    private final boolean pooled;
    private float[] data;

    public Pixels(int width, int height, int channels, float[] data) {
        if (data.length != width * height * channels) {
            throw new IllegalArgumentException("pixel buffer does not match " + width + "x" + height + "x" + channels);
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.data = data;
        this.rgb8 = null;
        this.pooled = false;
    }

    private Pixels(int width, int height, Rgb8 rgb8, boolean pooled) {
        // A pooled buffer may be longer than the picture: only the first 3 x width x height bytes are samples.
        if (pooled ? rgb8.bytes().length < 3 * width * height : rgb8.bytes().length != 3 * width * height) {
            throw new IllegalArgumentException("pixel buffer does not match " + width + "x" + height + "x3");
        }
        this.width = width;
        this.height = height;
        this.channels = 3;
        this.rgb8 = rgb8;
        this.pooled = pooled;
    }

    /** An RGB image kept as interleaved 8-bit samples until floats are asked for. */
    public static Pixels ofRgb8(int width, int height, byte[] interleaved, int[] bandOffsets) {
        return new Pixels(width, height, new Rgb8(interleaved, bandOffsets.clone()), false);
    }

    /**
     * As {@link #ofRgb8}, the samples in an array borrowed from {@link ArrayPool#SHARED} (at least
     * {@code 3 x width x height} long), which {@link #release} gives back.
     */
    public static Pixels ofPooledRgb8(int width, int height, byte[] interleaved, int[] bandOffsets) {
        return new Pixels(width, height, new Rgb8(interleaved, bandOffsets.clone()), true);
    }

    /** An array for {@code length} 8-bit samples, from the pool: possibly longer, so nearby sizes share. */
    public static byte[] borrowSamples(int length) {
        return ArrayPool.SHARED.bytes(ArrayPool.roundUp(length));
    }

    /**
     * Gives pooled samples back once the picture is no longer needed (its tensor is made); the 8-bit
     * samples are gone afterwards. Does nothing for pixels that own their arrays.
     */
    public void release() {
        if (pooled && rgb8 != null) {
            byte[] bytes = rgb8.bytes();
            rgb8 = null;
            ArrayPool.SHARED.giveBack(bytes);
        }
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int channels() {
        return channels;
    }

    /** The 8-bit samples when the image was kept that way, else {@code null}. */
    public Rgb8 rgb8() {
        return rgb8;
    }

    /** The planar floats, built from the 8-bit samples on first use when there are any. */
    public float[] data() {
        if (data == null && rgb8 == null) {
            throw new IllegalStateException("these pixels were released");
        }
        if (data == null) {
            data = planar(rgb8, width * height);
        }
        return data;
    }

    public float at(int channel, int x, int y) {
        return data()[(channel * height + y) * width + x];
    }

    private static final float[] UNIT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            UNIT[i] = i / 255f;
        }
    }

    private static float[] planar(Rgb8 rgb8, int plane) {
        byte[] bytes = rgb8.bytes();
        float[] out = new float[3 * plane];
        int r = rgb8.offsets()[0];
        int g = rgb8.offsets()[1];
        int b = rgb8.offsets()[2];
        for (int i = 0, o = 0; i < plane; i++, o += 3) {
            out[i] = UNIT[bytes[o + r] & 0xff];
            out[plane + i] = UNIT[bytes[o + g] & 0xff];
            out[2 * plane + i] = UNIT[bytes[o + b] & 0xff];
        }
        return out;
    }
}
