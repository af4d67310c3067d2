package io.resnetservice.inference;

import io.micrometer.core.instrument.Timer;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.Pixels;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;

/** Uploaded images in, top-k classes out: decode, preprocess, one forward pass for all of them, softmax. */
@Service
public class ClassificationService {

    /** One image as it arrived: the client's name for it (may be null) and its bytes. */
    public record ImageInput(String name, byte[] bytes) {}

    /** One image's answer, with the decoded size so a client can tell what we saw. */
    public record ImageResult(String name, int width, int height, List<Prediction> predictions) {}

    private final ImageDecoder decoder;
    private final InferenceMetrics metrics;
    private final ModelExecutors executors;

    public ClassificationService(ResnetProperties properties, InferenceMetrics metrics, ModelExecutors executors) {
        this.decoder = new ImageDecoder(properties.limits().maxPixels());
        this.metrics = metrics;
        this.executors = executors;
    }

    public List<ImageResult> classify(LoadedModel model, List<ImageInput> images, int topK) {
        int size = model.preprocessor().tensorSize();
        float[] batch = new float[images.size() * size];
        // Only the sizes are kept: a decoded photo is large and the batch tensor already holds what matters.
        int[][] sizes = new int[images.size()][];
        Timer preprocessTimer = metrics.preprocess(model.name());
        for (int i = 0; i < images.size(); i++) {
            Timer.Sample sample = Timer.start();
            Pixels pixels = decoder.decode(images.get(i).bytes());
            model.preprocessor().apply(pixels, batch, i * size);
            sample.stop(preprocessTimer);
            sizes[i] = new int[] {pixels.width(), pixels.height()};
        }
        // Decoding and preprocessing stay on the request thread; only the forward pass is queued.
        float[][] probabilities = executors.of(model).submit(batch, images.size());
        metrics.images(model.name()).increment(images.size());

        List<ImageResult> results = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            results.add(new ImageResult(images.get(i).name(), sizes[i][0], sizes[i][1],
                    TopK.of(probabilities[i], model.labels(), topK)));
        }
        return results;
    }
}
