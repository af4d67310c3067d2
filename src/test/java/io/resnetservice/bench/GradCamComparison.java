package io.resnetservice.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.resnetservice.explain.Occlusion;
import io.resnetservice.image.Pixels;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.model.ResNet;
import io.resnetservice.preprocess.Preprocessor;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.training.FashionMnist;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Grad-CAM (Selvaraju et al. 2017) against the service's occlusion on the pointing games of
 * {@code ExplanationLocalisationTest}, with the shipped model, in one process: how often each method's peak lies
 * over the item of the class explained (two test items side by side on black, 80 games per seed), whether a
 * lone item on a 112x112 canvas holds the peak, and the milliseconds per explanation. Grad-CAM is taken at
 * each stage's output (layer2 7x7, layer3 4x4, layer4 2x2 at 56x56), upsampled bilinearly and mapped back
 * onto the same grid over the picture through the preprocessor's {@link Preprocessor.View}.
 *
 * <pre>java -cp ... io.resnetservice.bench.GradCamComparison [SEEDS, default 2016,2018,2030]</pre>
 */
public final class GradCamComparison {

    static final int SIZE = FashionMnist.SIZE;
    static final int PAIRS = 40;
    static final int CELLS = 8;

    private GradCamComparison() {}

    /** A heatmap over the picture's grid, row-major. */
    interface Method {
        float[] explain(Pixels picture, Occlusion.Grid grid, int classIndex);
    }

    public static void main(String[] args) throws IOException {
        int[] seeds = Arrays.stream((args.length > 0 ? args[0] : "2016,2018,2030").split(","))
                .mapToInt(Integer::parseInt).toArray();
        FashionMnist.Split test = FashionMnist.test(FashionMnist.DEFAULT_DIR);
        ModelFolder folder = ModelFolder.embedded();
        try (LoadedModel served = LoadedModel.load(folder, Device.cpu());
                Model model = Model.newInstance("gradcam", Device.cpu(), "PyTorch")) {
            ResNet resnet = folder.newBlock();
            model.setBlock(resnet);
            folder.loadWeights(resnet, model.getNDManager());
            Preprocessor preprocessor = served.preprocessor();
            System.out.println("method | pairs per seed " + Arrays.toString(seeds) + " | all | lone item | ms per explanation");
            report("occlusion (the service's)", occlusion(served), test, seeds);
            for (int stage = 2; stage <= 4; stage++) {
                report("grad-cam at layer" + stage, gradCam(resnet, model.getNDManager(), preprocessor, folder.spec().input(), stage), test, seeds);
            }
        }
    }

    static void report(String name, Method method, FashionMnist.Split test, int[] seeds) {
        // Warm both paths before timing.
        method.explain(composite(test, 0, 1), Occlusion.Grid.of(2 * SIZE, SIZE, CELLS), test.label(0));
        StringBuilder perSeed = new StringBuilder();
        int hits = 0;
        int games = 0;
        long nanos = 0;
        int explained = 0;
        for (int seed : seeds) {
            Random random = new Random(seed);
            int seedHits = 0;
            int seedGames = 0;
            while (seedGames < 2 * PAIRS) {
                int left = random.nextInt(test.count());
                int right = random.nextInt(test.count());
                if (test.label(left) == test.label(right)) {
                    continue;
                }
                Pixels picture = composite(test, left, right);
                Occlusion.Grid grid = Occlusion.Grid.of(picture.width(), picture.height(), CELLS);
                for (int side = 0; side < 2; side++) {
                    long start = System.nanoTime();
                    float[] map = method.explain(picture, grid, test.label(side == 0 ? left : right));
                    nanos += System.nanoTime() - start;
                    explained++;
                    boolean onLeft = peak(map) % grid.cols() < grid.cols() / 2;
                    seedHits += onLeft == (side == 0) ? 1 : 0;
                    seedGames++;
                }
            }
            perSeed.append(perSeed.isEmpty() ? "" : " / ").append(seedHits);
            hits += seedHits;
            games += seedGames;
        }
        int lone = 0;
        int trials = 0;
        for (int seed : seeds) {
            Random random = new Random(seed + 1);
            int canvas = 4 * SIZE;
            for (int trial = 0; trial < 10; trial++) {
                int item = random.nextInt(test.count());
                int x = random.nextInt(canvas - SIZE);
                int y = random.nextInt(canvas - SIZE);
                float[] data = new float[canvas * canvas];
                draw(test, item, data, canvas, x, y);
                Occlusion.Grid grid = Occlusion.Grid.of(canvas, canvas, CELLS);
                int cell = peak(method.explain(new Pixels(canvas, canvas, 1, data), grid, test.label(item)));
                double cx0 = (double) (cell % grid.cols()) * canvas / grid.cols();
                double cx1 = (double) (cell % grid.cols() + 1) * canvas / grid.cols();
                double cy0 = (double) (cell / grid.cols()) * canvas / grid.rows();
                double cy1 = (double) (cell / grid.cols() + 1) * canvas / grid.rows();
                lone += cx1 > x && cx0 < x + SIZE && cy1 > y && cy0 < y + SIZE ? 1 : 0;
                trials++;
            }
        }
        System.out.printf(Locale.ROOT, "%s | %s | %d of %d (%.1f %%) | %d of %d | %.1f%n", name, perSeed, hits, games,
                100.0 * hits / games, lone, trials, nanos / 1e6 / explained);
    }

    /** The service's occlusion, its passes run on the served (folded, oneDNN) network in chunks of 16. */
    static Method occlusion(LoadedModel model) {
        return (picture, grid, classIndex) -> {
            float[] fill = Occlusion.background(picture);
            int size = model.preprocessor().tensorSize();
            int total = Occlusion.passes(grid);
            float[] byPass = new float[total];
            for (int start = 0; start < total; start += 16) {
                int count = Math.min(16, total - start);
                float[] tensor = new float[count * size];
                for (int i = 0; i < count; i++) {
                    model.preprocessor().apply(Occlusion.pass(picture, grid, start + i, fill), tensor, i * size);
                }
                float[][] probabilities = model.forward(tensor, count);
                for (int i = 0; i < count; i++) {
                    byPass[start + i] = probabilities[i][classIndex];
                }
            }
            return Occlusion.heatmap(grid, byPass);
        };
    }

    /**
     * Grad-CAM at the output of stage {@code stage} (1-based, as torchvision's layer1..4): the stage's
     * activations, each channel weighted by the mean gradient of the class's logit over it, summed, and kept
     * where positive; then sampled at 4x4 points per grid cell of the picture mapped into the input tensor
     * (0 where a crop cut the point away), and scaled so that the largest is 1.
     */
    static Method gradCam(ResNet resnet, NDManager parent, Preprocessor preprocessor, ModelSpec.Input input, int stage) {
        return (picture, grid, classIndex) -> {
            float[] tensor = preprocessor.apply(picture);
            int inW = input.width();
            int inH = input.height();
            float[] cam;
            int fh;
            int fw;
            try (NDManager manager = parent.newSubManager();
                    GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                ParameterStore parameters = new ParameterStore(manager, false);
                NDList x = new NDList(manager.create(tensor, new Shape(1, input.channels(), inH, inW)));
                x = resnet.stem().forward(parameters, x, false);
                for (int s = 1; s <= stage; s++) {
                    x = resnet.layer(s).forward(parameters, x, false);
                }
                NDArray activations = x.singletonOrThrow().stopGradient();
                activations.setRequiresGradient(true);
                x = new NDList(activations);
                for (int s = stage + 1; s <= resnet.stages().size(); s++) {
                    x = resnet.layer(s).forward(parameters, x, false);
                }
                NDArray logits = resnet.head().forward(parameters, x, false).singletonOrThrow();
                collector.backward(logits.get(0, classIndex));
                NDArray weights = activations.getGradient().mean(new int[] {3}, true).mean(new int[] {2}, true);
                NDArray map = activations.mul(weights).sum(new int[] {1}).maximum(0f);
                fh = (int) map.getShape().get(1);
                fw = (int) map.getShape().get(2);
                cam = map.toFloatArray();
            }
            Preprocessor.View view = preprocessor.view(picture);
            float[] values = new float[grid.size()];
            float max = 0;
            for (int r = 0; r < grid.rows(); r++) {
                for (int c = 0; c < grid.cols(); c++) {
                    double sum = 0;
                    for (int sy = 0; sy < 4; sy++) {
                        for (int sx = 0; sx < 4; sx++) {
                            double u = (c + (sx + 0.5) / 4) * picture.width() / grid.cols();
                            double v = (r + (sy + 0.5) / 4) * picture.height() / grid.rows();
                            sum += sample(cam, fw, fh, view.inputX(u) * fw / inW, view.inputY(v) * fh / inH);
                        }
                    }
                    values[r * grid.cols() + c] = (float) (sum / 16);
                    max = Math.max(max, values[r * grid.cols() + c]);
                }
            }
            for (int i = 0; max > 0 && i < values.length; i++) {
                values[i] /= max;
            }
            return values;
        };
    }

    /** Bilinear sample of a {@code w x h} map at continuous (x, y); 0 outside it. */
    static double sample(float[] map, int w, int h, double x, double y) {
        if (x < 0 || y < 0 || x >= w || y >= h) {
            return 0;
        }
        double fx = Math.min(Math.max(x - 0.5, 0), w - 1);
        double fy = Math.min(Math.max(y - 0.5, 0), h - 1);
        int x0 = (int) fx;
        int y0 = (int) fy;
        int x1 = Math.min(x0 + 1, w - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        double ax = fx - x0;
        double ay = fy - y0;
        return (1 - ay) * ((1 - ax) * map[y0 * w + x0] + ax * map[y0 * w + x1])
                + ay * ((1 - ax) * map[y1 * w + x0] + ax * map[y1 * w + x1]);
    }

    static Pixels composite(FashionMnist.Split test, int left, int right) {
        float[] data = new float[2 * SIZE * SIZE];
        draw(test, left, data, 2 * SIZE, 0, 0);
        draw(test, right, data, 2 * SIZE, SIZE, 0);
        return new Pixels(2 * SIZE, SIZE, 1, data);
    }

    static void draw(FashionMnist.Split test, int item, float[] canvas, int width, int x, int y) {
        for (int r = 0; r < SIZE; r++) {
            for (int c = 0; c < SIZE; c++) {
                canvas[(y + r) * width + x + c] = (test.images()[item * SIZE * SIZE + r * SIZE + c] & 0xff) / 255f;
            }
        }
    }

    static int peak(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}
