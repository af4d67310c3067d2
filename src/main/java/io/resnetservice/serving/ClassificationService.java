package io.resnetservice.serving;

import io.micrometer.core.instrument.Timer;
import io.resnetservice.buffers.ArrayPool;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.Pixels;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.Outputs;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;

/** Uploaded images in, top-k classes out: decode, preprocess, one forward pass for all of them, softmax. */
@Service
public class ClassificationService {

    /**
     * One image as it arrived: the client's name for it (may be null) and its encoded bytes, the first
     * {@code length} of {@code bytes}, an array that may
     * be borrowed from {@link ArrayPool#SHARED} ({@code pooled}) and is then given back by {@link #giveBack}.
     */
    public record ImageInput(String name, byte[] bytes, int length, boolean pooled) {
        public ImageInput(String name, byte[] bytes) {
            this(name, bytes, bytes.length, false);
        }

        /** Returns a pooled array once the request is answered; nothing reads it afterwards. */
        public void giveBack() {
            if (pooled) {
                ArrayPool.SHARED.giveBack(bytes);
            }
        }
    }

    /**
     * One image's answer, with the decoded size so a client can tell what we saw; for a model with
     * fitted statistics, whether the image lies outside what it was trained on, and its score.
     */
    public record ImageResult(
            String name,
            int width,
            int height,
            List<Prediction> predictions,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "Whether the image is unlike the model's training images (its score is above the"
                    + " model's threshold): the classes are then a guess. Absent for models without fitted statistics.")
            Boolean outOfDistribution,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "Distance of the image from the training images (Mahalanobis distance of its features"
                    + " to the nearest class); higher is further. Absent for models without fitted statistics.")
            Double oodScore) {}

    private final ImageDecoder decoder;
    private final MemoryBudget imageMemory;
    private final MemoryBudget uploadMemory;
    private final InferenceMetrics metrics;
    private final ModelExecutors executors;
    private final StageSpans spans;

    public ClassificationService(ResnetProperties properties, InferenceMetrics metrics, ModelExecutors executors,
            StageSpans spans) {
        this.decoder = new ImageDecoder(properties.limits().maxPixels());
        this.imageMemory = new MemoryBudget(properties.limits().imageMemoryBytes(), properties.limits().imageMemoryWait());
        this.uploadMemory = new MemoryBudget(properties.limits().uploadMemoryBytes(), properties.limits().imageMemoryWait(),
                "too many large uploads are being received; try again shortly");
        this.metrics = metrics;
        this.executors = executors;
        this.spans = spans;
        metrics.imageMemory(imageMemory);
        metrics.uploadMemory(uploadMemory);
        ArrayPool.SHARED.capacity(properties.limits().bufferPool().toBytes());
        metrics.bufferPool(ArrayPool.SHARED);
    }

    /**
     * Reserves {@code bytes} of the upload memory budget for a request body about to be read, waiting in
     * order as decodes do; held while the request's images are decoded, at most until it is answered
     * (close it on every path).
     *
     * @throws BatchingExecutor.OverloadedException when the bodies being received hold the budget too long
     */
    public MemoryBudget.Lease reserveUpload(long bytes) {
        return uploadMemory.acquire(bytes);
    }

    static final String DECODE_SPAN = "image.decode";
    static final String PREPROCESS_SPAN = "image.preprocess";

    /** Preprocessed images ready for the model, with each one's decoded size. */
    public record Batch(float[] tensor, int count, int[] widths, int[] heights) {
        /**
         * Returns the tensor (borrowed from {@link ArrayPool#SHARED}) once its outputs are in: no pass reads
         * it any more. Not after a refused or failed submit, where a worker may still hold it.
         */
        public void giveBack() {
            ArrayPool.SHARED.giveBack(tensor);
        }
    }

    public List<ImageResult> classify(LoadedModel model, List<ImageInput> images, int topK) {
        Batch batch = prepareInputs(model, images);
        Outputs outputs = outputs(model, batch.tensor(), batch.count());
        batch.giveBack();
        double threshold = model.spec().outOfDistribution() == null ? Double.NaN
                : model.spec().outOfDistribution().threshold();
        List<ImageResult> results = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            Double score = outputs.oodScores() == null ? null : round(outputs.oodScores()[i]);
            results.add(new ImageResult(images.get(i).name(), batch.widths()[i], batch.heights()[i],
                    TopK.of(outputs.probabilities()[i], model.labels(), topK),
                    score == null ? null : outputs.oodScores()[i] > threshold, score));
        }
        return results;
    }

    /**
     * Decodes and preprocesses encoded images on the calling (request) thread, one at a time, each once
     * its decode fits the image memory budget. Only the sizes of the pictures are kept: a decoded photo is
     * large and the tensor already holds what matters.
     */
    public Batch prepare(LoadedModel model, List<byte[]> images) {
        return prepareInputs(model, images.stream().map(bytes -> new ImageInput(null, bytes)).toList());
    }

    /** As {@link #prepare}, for uploads (each the first {@code length} bytes of its array). */
    public Batch prepareInputs(LoadedModel model, List<ImageInput> images) {
        int size = model.preprocessor().tensorSize();
        float[] tensor = ArrayPool.SHARED.floats(images.size() * size);
        int[] widths = new int[images.size()];
        int[] heights = new int[images.size()];
        Timer preprocessTimer = metrics.preprocess(model.name());
        for (int i = 0; i < images.size(); i++) {
            byte[] bytes = images.get(i).bytes();
            int length = images.get(i).length();
            ImageDecoder.Plan plan = decoder.plan(bytes, length, model.preprocessor()::resizedSize);
            try (MemoryBudget.Lease lease = imageMemory.acquire(plan.memoryBytes())) {
                Timer.Sample sample = Timer.start();
                Pixels pixels = spans.inChild(DECODE_SPAN, () -> decoder.decode(bytes, length, plan));
                int offset = i * size;
                spans.inChild(PREPROCESS_SPAN, () -> {
                    model.preprocessor().apply(pixels, tensor, offset);
                    return null;
                });
                pixels.release();
                sample.stop(preprocessTimer);
            }
            widths[i] = plan.size().width();
            heights[i] = plan.size().height();
        }
        return new Batch(tensor, images.size(), widths, heights);
    }

    /**
     * Decodes one image as {@link #prepare} does (the reduction the model allows, EXIF orientation,
     * admitted against the image memory budget) and hands its pixels and the picture's full size to
     * {@code use} while the budget is still held: for work that needs the picture itself, not only its tensor.
     */
    public <T> T withDecoded(LoadedModel model, ImageInput image,
            java.util.function.BiFunction<Pixels, ImageDecoder.Size, T> use) {
        ImageDecoder.Plan plan = decoder.plan(image.bytes(), image.length(), model.preprocessor()::resizedSize);
        try (MemoryBudget.Lease lease = imageMemory.acquire(plan.memoryBytes())) {
            Pixels pixels = spans.inChild(DECODE_SPAN, () -> decoder.decode(image.bytes(), image.length(), plan));
            return use.apply(pixels, plan.size());
        }
    }

    /** Probabilities (and OOD scores) for {@code count} preprocessed images, through the model's batching queue. */
    public Outputs outputs(LoadedModel model, float[] tensor, int count) {
        Outputs outputs = executors.of(model).submit(tensor, count);
        metrics.images(model.name()).increment(count);
        return outputs;
    }

    private static double round(float score) {
        return Math.round(score * 1000.0) / 1000.0;
    }
}
