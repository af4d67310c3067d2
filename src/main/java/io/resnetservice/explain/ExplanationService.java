package io.resnetservice.explain;

import io.resnetservice.buffers.ArrayPool;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.Pixels;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.serving.ClassificationService;
import io.resnetservice.serving.ClassificationService.ImageInput;
import io.resnetservice.serving.ModelExecutors;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.stereotype.Service;

/**
 * Why the model decided: per image, the class explained and an occlusion heatmap over the whole picture
 * ({@link Occlusion}). The occluded copies go through the same image memory budget, preprocessing and
 * batching queue as classifications (a full queue is a 503), in chunks so that a large model's inputs
 * never pile up; an explanation costs one forward pass per grid cell, one per placement of the kept window,
 * plus one.
 */
@Service
public class ExplanationService {

    /** The class an explanation is about, and its probability for the unoccluded image. */
    public record ExplainedClass(int index, String label, double probability) {}

    /** Row-major, {@code rows x cols} values in [0, 1]; cell (r, c) covers rows r/R..(r+1)/R, columns c/C..(c+1)/C. */
    public record Heatmap(int rows, int cols, float[] values) {}

    public record Explanation(String name, int width, int height,
            @com.fasterxml.jackson.annotation.JsonProperty("class") ExplainedClass explained, Heatmap heatmap) {}

    /** An explanation with the picture it was made from, for drawing the overlay. */
    public record Drawn(Explanation explanation, Pixels pixels) {}

    /** Which class to explain: a class index or label, or null for each image's top class. */
    public record Target(Integer index) {
        public static Target top() {
            return new Target(null);
        }
    }

    static final int CHUNK = 16;

    private final ClassificationService classifier;
    private final ModelExecutors executors;
    private final ResnetProperties.Explain settings;

    public ExplanationService(ClassificationService classifier, ModelExecutors executors, ResnetProperties properties) {
        this.classifier = classifier;
        this.executors = executors;
        this.settings = properties.explain();
    }

    public ResnetProperties.Explain settings() {
        return settings;
    }

    /**
     * Resolves {@code query} (an index, or a label in any case) against the model's classes.
     *
     * @throws IllegalArgumentException naming the classes when it is neither
     */
    public static Target target(LoadedModel model, String query) {
        if (query == null || query.isBlank()) {
            return Target.top();
        }
        List<String> labels = model.labels();
        String q = query.trim();
        if (q.chars().allMatch(Character::isDigit) && q.length() < 10) {
            int index = Integer.parseInt(q);
            if (index < labels.size()) {
                return new Target(index);
            }
            throw new IllegalArgumentException("class " + index + " is out of range: this model has classes 0 to "
                    + (labels.size() - 1));
        }
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i).toLowerCase(Locale.ROOT).equals(q.toLowerCase(Locale.ROOT))) {
                return new Target(i);
            }
        }
        throw new IllegalArgumentException("class \"" + query + "\" is neither an index nor one of this model's labels"
                + (labels.size() <= 20 ? ": " + String.join(", ", labels) : ""));
    }

    public List<Explanation> explain(LoadedModel model, List<ImageInput> images, Target target, int cells) {
        List<Explanation> out = new ArrayList<>(images.size());
        for (ImageInput image : images) {
            out.add(classifier.withDecoded(model, image, (pixels, size) -> explain(model, image.name(), pixels,
                    size, target, cells)));
        }
        return out;
    }

    /** One image explained, with its decoded picture (for the PNG overlay). */
    public Drawn explainAndKeep(LoadedModel model, ImageInput image, Target target, int cells) {
        return classifier.withDecoded(model, image,
                (pixels, size) -> new Drawn(explain(model, image.name(), pixels, size, target, cells), pixels));
    }

    private Explanation explain(LoadedModel model, String name, Pixels pixels, ImageDecoder.Size picture, Target target,
            int cells) {
        Occlusion.Grid grid = Occlusion.Grid.of(pixels.width(), pixels.height(), cells);
        float[] fill = Occlusion.background(pixels);
        int size = model.preprocessor().tensorSize();
        // The image as it is first, then one copy per deletion window, then one per kept window, in chunks
        // through the queue.
        int total = Occlusion.passes(grid);
        float[] byPass = new float[total];
        float[] probabilities = null;
        int classIndex = -1;
        for (int start = 0; start < total; start += CHUNK) {
            int count = Math.min(CHUNK, total - start);
            float[] tensor = ArrayPool.SHARED.floats(count * size);
            for (int i = 0; i < count; i++) {
                Pixels input = Occlusion.pass(pixels, grid, start + i, fill);
                model.preprocessor().apply(input, tensor, i * size);
                if (input != pixels) {
                    input.release();
                }
            }
            // The model's own queue, not ClassificationService.outputs: painted copies are not images classified.
            float[][] answers = executors.of(model).submit(tensor, count).probabilities();
            // Answered, so no pass reads it any more (a failed or refused submit leaves it to the collector).
            ArrayPool.SHARED.giveBack(tensor);
            if (start == 0) {
                probabilities = answers[0];
                classIndex = target.index() != null ? target.index() : argmax(probabilities);
            }
            for (int i = 0; i < count; i++) {
                byPass[start + i] = answers[i][classIndex];
            }
        }
        float original = probabilities[classIndex];
        return new Explanation(name, picture.width(), picture.height(),
                new ExplainedClass(classIndex, model.labels().get(classIndex), Math.round(original * 10000.0) / 10000.0),
                new Heatmap(grid.rows(), grid.cols(), Occlusion.heatmap(grid, byPass)));
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}
