package io.resnetservice.preprocess;

import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.Pixels;
import io.resnetservice.model.ModelSpec;
import java.util.List;

/**
 * Pixels to the model's input tensor (CHW floats), following the model folder's {@code model.json}:
 * colour mode, optional background inversion, optional object framing ({@link ObjectFrame}), geometry
 * (torchvision's shorter-side resize and center crop, or fit-and-pad), then per-channel normalisation.
 */
public final class Preprocessor {

    /** ITU-R BT.601 luma weights, what Pillow's {@code convert("L")} uses. */
    static final float RED = 0.299f;
    static final float GREEN = 0.587f;
    static final float BLUE = 0.114f;

    private final ModelSpec.Input input;
    private final ModelSpec.Preprocess recipe;
    private final Resampler.Filter filter;
    private final float[] mean;
    private final float[] std;

    public Preprocessor(ModelSpec.Input input, ModelSpec.Preprocess recipe) {
        this.input = input;
        this.recipe = recipe;
        this.filter = recipe.filter() == ModelSpec.Filter.AREA ? Resampler.Filter.AREA : Resampler.Filter.BILINEAR;
        this.mean = toArray(recipe.mean());
        this.std = toArray(recipe.std());
    }

    private static float[] toArray(List<Float> values) {
        float[] array = new float[values.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = values.get(i);
        }
        return array;
    }

    public int tensorSize() {
        return input.channels() * input.height() * input.width();
    }

    /** One channel of an image: {@code data} from {@code offset} on, width x height floats. */
    record Plane(float[] data, int offset) {
        float at(int i) {
            return data[offset + i];
        }
    }

    /** Writes the input tensor of one image into {@code out} at {@code offset}. */
    public void apply(Pixels pixels, float[] out, int offset) {
        if (applyToRgb8(pixels, out, offset)) {
            return;
        }
        ObjectFrame.Framed framed = framed(pixels);
        Plane[] planes = framed.planes();
        int pw = framed.width();
        int ph = framed.height();
        int w = input.width();
        int h = input.height();
        for (int c = 0; c < planes.length; c++) {
            float[] geometry = switch (recipe.resize()) {
                case FIT_PAD -> fitPad(planes[c], pw, ph, w, h, filter);
                case SHORTER_SIDE_CROP -> shorterSideCrop(planes[c], pw, ph, w, h);
            };
            normalizeInto(geometry, c, out, offset);
        }
    }

    /** The model's channels of the picture, inverted where the recipe wants a dark background, framed. */
    private ObjectFrame.Framed framed(Pixels pixels) {
        int n = pixels.width() * pixels.height();
        Plane[] planes = toColourMode(pixels);
        if (recipe.background() == ModelSpec.Background.DARK && borderMean(planes, pixels.width(), pixels.height()) > 0.5f) {
            for (int c = 0; c < planes.length; c++) {
                float[] inverted = new float[n];
                for (int i = 0; i < n; i++) {
                    inverted[i] = 1f - planes[c].at(i);
                }
                planes[c] = new Plane(inverted, 0);
            }
        }
        if (recipe.crop() == ModelSpec.Crop.OBJECT) {
            return ObjectFrame.of(planes, pixels.width(), pixels.height(), recipe.background() == ModelSpec.Background.DARK);
        }
        return new ObjectFrame.Framed(planes, pixels.width(), pixels.height(), 0, 0);
    }

    /**
     * Where a point of the picture lands in the input tensor, in continuous pixel coordinates (a pixel's
     * centre is at +0.5): {@code inputX = (x - left) * scaleX + padX}, and the same for y. Points that land
     * outside {@code [0, width) x [0, height)} of the input are cut away by a crop.
     */
    public record View(double left, double top, double scaleX, double scaleY, double padX, double padY) {
        public double inputX(double x) {
            return (x - left) * scaleX + padX;
        }

        public double inputY(double y) {
            return (y - top) * scaleY + padY;
        }
    }

    /** How {@link #apply} places this picture in the input tensor: its object frame, resize, crop and pad. */
    public View view(Pixels pixels) {
        int w = input.width();
        int h = input.height();
        ObjectFrame.Framed framed = recipe.crop() == ModelSpec.Crop.OBJECT ? framed(pixels)
                : new ObjectFrame.Framed(null, pixels.width(), pixels.height(), 0, 0);
        int pw = framed.width();
        int ph = framed.height();
        return switch (recipe.resize()) {
            case FIT_PAD -> {
                ImageDecoder.Size fit = fitted(pw, ph, w, h);
                yield new View(framed.left(), framed.top(), (double) fit.width() / pw, (double) fit.height() / ph,
                        (w - fit.width()) / 2, (h - fit.height()) / 2);
            }
            case SHORTER_SIDE_CROP -> {
                Crop crop = shorterSideCropOf(pw, ph, w, h);
                yield new View(framed.left(), framed.top(), (double) crop.resizedW() / pw,
                        (double) crop.resizedH() / ph, -crop.left(), -crop.top());
            }
        };
    }

    /** Channel {@code c} of the input tensor: the resampled plane with the recipe's mean and std applied. */
    private void normalizeInto(float[] geometry, int c, float[] out, int offset) {
        float m = recipe.mean().get(c);
        float s = recipe.std().get(c);
        int base = offset + c * geometry.length;
        for (int i = 0; i < geometry.length; i++) {
            out[base + i] = (geometry[i] - m) / s;
        }
    }

    /**
     * The common photo case, an RGB model's shorter-side resize and center crop of a decoded JPEG,
     * resampled from the decoder's 8-bit samples. Returns false where the general path is needed.
     */
    private boolean applyToRgb8(Pixels pixels, float[] out, int offset) {
        Pixels.Rgb8 rgb8 = pixels.rgb8();
        if (rgb8 == null || input.channels() != 3 || recipe.resize() != ModelSpec.Resize.SHORTER_SIDE_CROP
                || recipe.background() != ModelSpec.Background.KEEP || recipe.crop() != ModelSpec.Crop.NONE) {
            return false;
        }
        int w = input.width();
        int h = input.height();
        Crop crop = shorterSideCropOf(pixels.width(), pixels.height(), w, h);
        if (crop.top() < 0 || crop.left() < 0) {
            return false;
        }
        Resampler.resizeWindowRgb8Into(rgb8.bytes(), rgb8.offsets(), pixels.width(), pixels.height(),
                crop.resizedW(), crop.resizedH(), crop.left(), crop.top(), w, h, filter, out, offset, mean, std);
        return true;
    }

    /**
     * The size the whole picture is resized to before any crop or padding: the decoder keeps at least
     * twice this many pixels when it decodes a large photo at reduced scale.
     */
    public ImageDecoder.Size resizedSize(ImageDecoder.Size picture) {
        int w = picture.width();
        int h = picture.height();
        return switch (recipe.resize()) {
            case FIT_PAD -> fitted(w, h, input.width(), input.height());
            case SHORTER_SIDE_CROP -> {
                Crop crop = shorterSideCropOf(w, h, input.width(), input.height());
                yield new ImageDecoder.Size(crop.resizedW(), crop.resizedH());
            }
        };
    }

    /**
     * An encoded image ({@code file}) decoded at the reduction this recipe allows, then preprocessed into
     * {@code out} at {@code offset}: what the service does to an upload, without its memory budget.
     */
    public void applyFile(ImageDecoder decoder, byte[] file, float[] out, int offset) {
        apply(decoder.decode(file, decoder.plan(file, this::resizedSize)), out, offset);
    }

    public float[] apply(Pixels pixels) {
        float[] out = new float[tensorSize()];
        apply(pixels, out, 0);
        return out;
    }

    /** The channels the model takes, as views into the decoded image where no conversion is needed. */
    private Plane[] toColourMode(Pixels p) {
        int n = p.width() * p.height();
        float[] d = p.data();
        if (input.channels() == 1) {
            if (p.channels() == 1) {
                return new Plane[] {new Plane(d, 0)};
            }
            float[] grey = new float[n];
            for (int i = 0; i < n; i++) {
                grey[i] = RED * d[i] + GREEN * d[n + i] + BLUE * d[2 * n + i];
            }
            return new Plane[] {new Plane(grey, 0)};
        }
        if (p.channels() == 3) {
            return new Plane[] {new Plane(d, 0), new Plane(d, n), new Plane(d, 2 * n)};
        }
        return new Plane[] {new Plane(d, 0), new Plane(d, 0), new Plane(d, 0)};
    }

    /** Mean brightness of the outermost rows and columns: a light border means a light background. */
    static float borderMean(Plane[] planes, int w, int h) {
        double sum = 0;
        long count = 0;
        for (Plane plane : planes) {
            for (int x = 0; x < w; x++) {
                sum += plane.at(x) + plane.at((h - 1) * w + x);
                count += 2;
            }
            for (int y = 1; y < h - 1; y++) {
                sum += plane.at(y * w) + plane.at(y * w + w - 1);
                count += 2;
            }
        }
        return (float) (sum / count);
    }

    /** The largest size of the image's aspect ratio that fits {@code outW x outH}. */
    private static ImageDecoder.Size fitted(int w, int h, int outW, int outH) {
        double scale = Math.min((double) outW / w, (double) outH / h);
        return new ImageDecoder.Size(Math.max(1, Math.min(outW, (int) Math.round(w * scale))),
                Math.max(1, Math.min(outH, (int) Math.round(h * scale))));
    }

    /** Scales the image so that it fits the target keeping its aspect ratio, centred on a black canvas. */
    static float[] fitPad(float[] plane, int w, int h, int outW, int outH) {
        return fitPad(new Plane(plane, 0), w, h, outW, outH, Resampler.Filter.BILINEAR);
    }

    static float[] fitPad(Plane plane, int w, int h, int outW, int outH, Resampler.Filter filter) {
        ImageDecoder.Size size = fitted(w, h, outW, outH);
        int fw = size.width();
        int fh = size.height();
        float[] fitted = Resampler.resize(plane.data(), plane.offset(), w, h, fw, fh, filter);
        if (fw == outW && fh == outH) {
            return fitted;
        }
        float[] out = new float[outW * outH];
        int left = (outW - fw) / 2;
        int top = (outH - fh) / 2;
        for (int y = 0; y < fh; y++) {
            System.arraycopy(fitted, y * fw, out, (top + y) * outW + left, fw);
        }
        return out;
    }

    /**
     * torchvision's {@code Resize(s)} then {@code CenterCrop(outH, outW)}: the shorter side becomes
     * {@code s} (the longer one {@code int(s * long / short)}), then the centre is cut out.
     */
    private float[] shorterSideCrop(Plane plane, int w, int h, int outW, int outH) {
        Crop crop = shorterSideCropOf(w, h, outW, outH);
        if (crop.top() >= 0 && crop.left() >= 0) {
            return Resampler.resizeWindow(plane.data(), plane.offset(), w, h, crop.resizedW(), crop.resizedH(),
                    crop.left(), crop.top(), outW, outH, filter);
        }
        // Smaller than the crop on one side: resize whole, then pad with black as torchvision does.
        return centerCrop(Resampler.resize(plane.data(), plane.offset(), w, h, crop.resizedW(), crop.resizedH(), filter),
                crop.resizedW(), crop.resizedH(), outW, outH);
    }

    /** The resized size and where the crop starts in it; negative offsets mean the crop is larger. */
    private record Crop(int resizedW, int resizedH, int left, int top) {}

    private Crop shorterSideCropOf(int w, int h, int outW, int outH) {
        int shorter = recipe.resizeShorterSideTo() != null ? recipe.resizeShorterSideTo() : Math.min(outW, outH);
        int rw;
        int rh;
        if (w <= h) {
            rw = shorter;
            rh = (int) ((long) shorter * h / w);
        } else {
            rh = shorter;
            rw = (int) ((long) shorter * w / h);
        }
        // Python rounds halves to even; Math.rint does too, so odd margins split as torchvision splits them.
        return new Crop(rw, rh, (int) Math.rint((rw - outW) / 2.0), (int) Math.rint((rh - outH) / 2.0));
    }

    static float[] centerCrop(float[] plane, int w, int h, int outW, int outH) {
        float[] out = new float[outW * outH];
        // Python rounds halves to even; Math.rint does too, so odd margins split as torchvision splits them.
        int top = (int) Math.rint((h - outH) / 2.0);
        int left = (int) Math.rint((w - outW) / 2.0);
        for (int y = 0; y < outH; y++) {
            int sy = top + y;
            for (int x = 0; x < outW; x++) {
                int sx = left + x;
                out[y * outW + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? plane[sy * w + sx] : 0f;
            }
        }
        return out;
    }
}
