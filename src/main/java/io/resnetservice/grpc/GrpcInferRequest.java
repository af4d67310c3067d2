package io.resnetservice.grpc;

import io.resnetservice.config.ResnetProperties;
import io.resnetservice.grpc.v2.InferParameter;
import io.resnetservice.grpc.v2.InferTensorContents;
import io.resnetservice.grpc.v2.ModelInferRequest;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.serving.OpenInference;
import io.resnetservice.serving.RawTensors;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A ModelInferRequest read and checked as REST v2 reads its JSON: one input, an FP32 tensor [N,C,H,W]
 * or a BYTES tensor of image files, typed ({@code contents}) or raw ({@code raw_input_contents}); the
 * outputs asked for (null: all) and the classification extension's top-k (0: probabilities).
 */
record GrpcInferRequest(float[] tensor, int count, List<byte[]> images, boolean raw, int classification,
        Set<String> outputs) {

    static GrpcInferRequest parse(ModelInferRequest request, ModelSpec.Input in, ResnetProperties.Limits limits,
            List<String> available) {
        if (request.getInputsCount() != 1) {
            throw GrpcException.invalid("inputs must hold exactly one tensor, named \"" + OpenInference.TENSOR_INPUT
                    + "\" (FP32) or \"" + OpenInference.IMAGE_INPUT + "\" (BYTES); got " + request.getInputsCount());
        }
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != 1) {
            throw GrpcException.invalid("raw_input_contents must hold one entry per input (1), not "
                    + request.getRawInputContentsCount());
        }
        ModelInferRequest.InferInputTensor input = request.getInputs(0);
        if (raw && input.hasContents() && !empty(input.getContents())) {
            throw GrpcException.invalid("an input's data goes either in contents or in raw_input_contents, not both");
        }
        List<Long> shape = input.getShapeList();
        if (shape.isEmpty() || shape.stream().anyMatch(d -> d < 1)) {
            throw GrpcException.invalid("input shape " + shape + " must be a non-empty list of positive sizes");
        }
        int k = classification(request, available);
        Set<String> outputs = outputs(request);
        return switch (input.getDatatype()) {
            case "FP32" -> {
                int n = checkFp32Shape(shape, in, limits);
                long expected = (long) n * in.channels() * in.height() * in.width();
                float[] data;
                if (raw) {
                    data = RawTensors.floats(request.getRawInputContents(0).asReadOnlyByteBuffer(), expected);
                } else {
                    InferTensorContents contents = input.getContents();
                    if (contents.getFp32ContentsCount() != expected) {
                        throw GrpcException.invalid("fp32_contents holds " + contents.getFp32ContentsCount()
                                + " values but shape " + shape + " needs " + expected);
                    }
                    data = new float[(int) expected];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = contents.getFp32Contents(i);
                    }
                }
                int nonFinite = RawTensors.firstNonFinite(data);
                if (nonFinite >= 0) {
                    throw GrpcException.invalid("FP32 input value " + nonFinite + " is " + data[nonFinite]
                            + ": the model takes finite numbers" + (raw ? " (raw contents are little-endian)" : ""));
                }
                yield new GrpcInferRequest(data, n, null, raw, k, outputs);
            }
            case "BYTES" -> {
                long declared = shape.stream().reduce(1L, (a, b) -> a * b);
                if (declared > limits.maxImagesPerRequest()) {
                    throw GrpcException.tooLarge(declared + " images in one request; the limit is "
                            + limits.maxImagesPerRequest());
                }
                long maxImage = limits.maxImageBytes().toBytes();
                List<byte[]> images;
                if (raw) {
                    images = RawTensors.elements(request.getRawInputContents(0).asReadOnlyByteBuffer(), maxImage,
                            limits.maxImagesPerRequest());
                } else {
                    images = new ArrayList<>(input.getContents().getBytesContentsCount());
                    for (var element : input.getContents().getBytesContentsList()) {
                        if (element.size() > maxImage) {
                            throw GrpcException.tooLarge("image " + images.size() + " is over " + limits.maxImageBytes());
                        }
                        images.add(element.toByteArray());
                    }
                }
                if (images.size() != declared) {
                    throw GrpcException.invalid("BYTES input shape " + shape + " declares " + declared
                            + " elements but its data holds " + images.size());
                }
                yield new GrpcInferRequest(null, images.size(), images, raw, k, outputs);
            }
            default -> throw GrpcException.invalid("datatype \"" + input.getDatatype() + "\" is not accepted: send FP32"
                    + " (a preprocessed tensor) or BYTES (encoded images)");
        };
    }

    private static int checkFp32Shape(List<Long> shape, ModelSpec.Input in, ResnetProperties.Limits limits) {
        if (shape.size() != 4 || shape.get(1) != in.channels() || shape.get(2) != in.height()
                || shape.get(3) != in.width()) {
            throw GrpcException.invalid("FP32 input shape must be [N, " + in.channels() + ", " + in.height() + ", "
                    + in.width() + "], was " + shape);
        }
        long n = shape.get(0);
        if (n > limits.maxImagesPerRequest()) {
            throw GrpcException.tooLarge(n + " images in one request; the limit is " + limits.maxImagesPerRequest());
        }
        return (int) n;
    }

    private static boolean empty(InferTensorContents contents) {
        return contents.getFp32ContentsCount() == 0 && contents.getBytesContentsCount() == 0
                && contents.getBoolContentsCount() == 0 && contents.getIntContentsCount() == 0
                && contents.getInt64ContentsCount() == 0 && contents.getUintContentsCount() == 0
                && contents.getUint64ContentsCount() == 0 && contents.getFp64ContentsCount() == 0;
    }

    /** An output's {@code classification} parameter (tritonclient's class_count), or 0. */
    private static int classification(ModelInferRequest request, List<String> available) {
        int k = 0;
        for (ModelInferRequest.InferRequestedOutputTensor output : request.getOutputsList()) {
            if (!available.contains(output.getName())) {
                throw GrpcException.invalid("unknown output \"" + output.getName() + "\"; this model has \""
                        + String.join("\", \"", available) + "\"");
            }
            InferParameter c = output.getParametersMap().get("classification");
            if (c == null || !OpenInference.OUTPUT.equals(output.getName())) {
                continue;
            }
            long value = switch (c.getParameterChoiceCase()) {
                case INT64_PARAM -> c.getInt64Param();
                case STRING_PARAM -> parse(c.getStringParam());
                default -> -1;
            };
            if (value < 1 || value > Integer.MAX_VALUE) {
                throw GrpcException.invalid("parameters.classification must be a positive integer");
            }
            k = (int) value;
        }
        return k;
    }

    private static long parse(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Set<String> outputs(ModelInferRequest request) {
        if (request.getOutputsCount() == 0) {
            return null;
        }
        Set<String> names = new LinkedHashSet<>();
        request.getOutputsList().forEach(o -> names.add(o.getName()));
        return names;
    }
}
