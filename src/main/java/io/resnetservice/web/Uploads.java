package io.resnetservice.web;

import io.resnetservice.buffers.ArrayPool;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.serving.ClassificationService.ImageInput;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.ModelVersions;
import io.resnetservice.serving.ServedVersion;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.multipart.MultipartFile;

/**
 * What every upload endpoint (classify, explain) does before its own work: find the model version it
 * names, and read its images (multipart parts or a raw body) within the limits, each refusal a problem.
 */
@Component
public class Uploads {

    private final ModelRegistry models;
    private final ResnetProperties.Limits limits;

    public Uploads(ModelRegistry models, ResnetProperties properties) {
        this.models = models;
        this.limits = properties.limits();
    }

    /** The default model's highest version, held for this request; 503 while it has none loaded. */
    ServedVersion.Lease defaultModel() {
        String name = models.defaultName();
        return models.acquire(name).orElseThrow(() -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE,
                ProblemType.MODEL_NOT_READY, "the default model \"" + name + "\" has no loaded version"));
    }

    /** That version of the model (null: its highest), held for this request; 404 where it is not loaded. */
    ServedVersion.Lease model(String name, String version) {
        Long number = version == null ? null : ModelVersions.parse(version);
        if (version != null && number == null) {
            throw new ApiException(HttpStatus.NOT_FOUND, ProblemType.UNKNOWN_MODEL,
                    "model versions are positive integers, not \"" + version + "\"");
        }
        return models.acquire(name, number).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND,
                ProblemType.UNKNOWN_MODEL, version == null ? "no model named \"" + name + "\" is loaded"
                        : "model \"" + name + "\" has no loaded version " + version));
    }

    /** A request body: how much memory reading it may take (known before any byte is read), then its images. */
    interface Body {
        long bytes();

        List<ImageInput> read();
    }

    /** Parts already received (small ones in memory, the rest on disk): their total size, then their bytes. */
    Body parts(List<MultipartFile> parts) {
        return new Body() {
            @Override
            public long bytes() {
                if (parts == null || parts.isEmpty()) {
                    throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.NO_IMAGE,
                            "send the images as multipart parts named \"image\"");
                }
                checkCount(parts.size());
                long total = 0;
                for (MultipartFile part : parts) {
                    if (part.getSize() > limits.maxImageBytes().toBytes()) {
                        throw tooLarge(ProblemType.IMAGE_TOO_LARGE, "an image is over " + limits.maxImageBytes());
                    }
                    total += part.getSize();
                }
                return total;
            }

            @Override
            public List<ImageInput> read() {
                return fromParts(parts);
            }
        };
    }

    /** A raw body: its declared length (the image limit when it declares none), then at most that many bytes. */
    Body raw(HttpServletRequest request) {
        return new Body() {
            @Override
            public long bytes() {
                long limit = limits.maxImageBytes().toBytes();
                long declared = request.getContentLengthLong();
                if (declared > limit) {
                    throw tooLarge(ProblemType.IMAGE_TOO_LARGE, "the image is over " + limits.maxImageBytes());
                }
                return declared >= 0 ? declared : limit;
            }

            @Override
            public List<ImageInput> read() {
                return fromBody(request);
            }
        };
    }

    private List<ImageInput> fromParts(List<MultipartFile> parts) {
        List<ImageInput> images = new ArrayList<>(parts.size());
        for (MultipartFile part : parts) {
            try {
                images.add(new ImageInput(part.getOriginalFilename(), part.getBytes()));
            } catch (IOException e) {
                throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.MALFORMED_REQUEST, "an image part cannot be read");
            }
        }
        return images;
    }

    /** Reads a raw body without ever holding more than the image limit plus one byte. */
    private List<ImageInput> fromBody(HttpServletRequest request) {
        long limit = limits.maxImageBytes().toBytes();
        try (InputStream in = request.getInputStream()) {
            long declared = request.getContentLengthLong();
            if (declared > 0 && declared <= limit) {
                return List.of(declaredLength(in, (int) declared));
            }
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw tooLarge(ProblemType.IMAGE_TOO_LARGE, "the image is over " + limits.maxImageBytes());
            }
            if (bytes.length == 0) {
                throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.NO_IMAGE, "the request body is empty");
            }
            return List.of(new ImageInput(null, bytes));
        } catch (IOException e) {
            throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.MALFORMED_REQUEST, "the request body cannot be read");
        }
    }

    /**
     * A body of a declared length, read into one array at least that long: reading an unknown length
     * collects 8 KB pieces and copies them into a final array, three times the body's size in garbage.
     */
    private static ImageInput declaredLength(InputStream in, int length) throws IOException {
        // Pooled: a phone photo is megabytes, and one array per request was the last large allocation left.
        byte[] bytes = ArrayPool.SHARED.bytes(ArrayPool.roundUp(length));
        int read = in.readNBytes(bytes, 0, length);
        if (read < length) {
            ArrayPool.SHARED.giveBack(bytes);
            throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.MALFORMED_REQUEST,
                    "the request body ended after " + read + " of its declared " + length + " bytes");
        }
        return new ImageInput(null, bytes, length, bytes.length >= ArrayPool.MIN_POOLED_BYTES);
    }

    private void checkCount(int count) {
        if (count > limits.maxImagesPerRequest()) {
            throw tooLarge(ProblemType.TOO_MANY_IMAGES,
                    count + " images in one request; the limit is " + limits.maxImagesPerRequest());
        }
    }

    private static ApiException tooLarge(ProblemType type, String detail) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, type, detail);
    }
}
