package io.resnetservice.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.resnetservice.buffers.ArrayPool;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.grpc.v2.GRPCInferenceServiceGrpc;
import io.resnetservice.grpc.v2.InferTensorContents;
import io.resnetservice.grpc.v2.ModelInferRequest;
import io.resnetservice.grpc.v2.ModelInferResponse;
import io.resnetservice.grpc.v2.ModelMetadataRequest;
import io.resnetservice.grpc.v2.ModelMetadataResponse;
import io.resnetservice.grpc.v2.ModelReadyRequest;
import io.resnetservice.grpc.v2.ModelReadyResponse;
import io.resnetservice.grpc.v2.RepositoryIndexRequest;
import io.resnetservice.grpc.v2.RepositoryIndexResponse;
import io.resnetservice.grpc.v2.RepositoryModelLoadRequest;
import io.resnetservice.grpc.v2.RepositoryModelLoadResponse;
import io.resnetservice.grpc.v2.RepositoryModelUnloadRequest;
import io.resnetservice.grpc.v2.RepositoryModelUnloadResponse;
import io.resnetservice.grpc.v2.ServerLiveRequest;
import io.resnetservice.grpc.v2.ServerLiveResponse;
import io.resnetservice.grpc.v2.ServerMetadataRequest;
import io.resnetservice.grpc.v2.ServerMetadataResponse;
import io.resnetservice.grpc.v2.ServerReadyRequest;
import io.resnetservice.grpc.v2.ServerReadyResponse;
import io.resnetservice.repository.ModelRepository;
import io.resnetservice.repository.VersionState;
import io.resnetservice.repository.VersionStatus;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.Outputs;
import io.resnetservice.serving.ClassificationService;
import io.resnetservice.serving.MemoryBudget;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.ModelVersions;
import io.resnetservice.serving.OpenInference;
import io.resnetservice.serving.RawTensors;
import io.resnetservice.serving.ServedVersion;
import io.resnetservice.security.ApiKeys;
import io.grpc.Status;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.stereotype.Service;

/**
 * KServe's Open Inference Protocol over gRPC ({@code inference.GRPCInferenceService}): the same models,
 * admission, limits, batching and outputs as REST v2, behind another door; and Triton's repository RPCs
 * where admin keys are set ({@link ApiKeyInterceptor} checks the keys).
 */
@Service
public class InferenceGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private final ModelRegistry models;
    private final ClassificationService classifier;
    private final ApplicationAvailability availability;
    private final ResnetProperties.Limits limits;
    private final boolean repositoryOpen;
    private final ObjectProvider<ModelRepository> repository;

    public InferenceGrpcService(ModelRegistry models, ClassificationService classifier,
            ApplicationAvailability availability, ResnetProperties properties,
            ObjectProvider<ModelRepository> repository) {
        this.models = models;
        this.classifier = classifier;
        this.availability = availability;
        this.limits = properties.limits();
        this.repositoryOpen = new ApiKeys(properties.security()).repositoryOpen();
        this.repository = repository;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> response) {
        answer(response, () -> ServerLiveResponse.newBuilder()
                .setLive(availability.getLivenessState() == LivenessState.CORRECT).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> response) {
        answer(response, () -> ServerReadyResponse.newBuilder().setReady(ready()).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> response) {
        answer(response, () -> {
            try (ServedVersion.Lease lease = lease(request.getName(), request.getVersion())) {
                return ModelReadyResponse.newBuilder().setReady(ready()).build();
            }
        });
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> response) {
        answer(response, () -> ServerMetadataResponse.newBuilder().setName(OpenInference.SERVER_NAME)
                .setVersion(OpenInference.serverVersion())
                .addAllExtensions(OpenInference.extensions(repositoryOpen)).build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> response) {
        answer(response, () -> {
            try (ServedVersion.Lease lease = lease(request.getName(), request.getVersion())) {
                LoadedModel model = lease.model();
                ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder().setName(model.name())
                        .setPlatform(OpenInference.platform(model));
                models.versions(model.name()).forEach(v -> metadata.addVersions(Long.toString(v.version())));
                OpenInference.inputs(model).forEach(t -> metadata.addInputs(tensor(t)));
                OpenInference.outputs(model).forEach(t -> metadata.addOutputs(tensor(t)));
                return metadata.build();
            }
        });
    }

    private static ModelMetadataResponse.TensorMetadata tensor(OpenInference.Tensor t) {
        return ModelMetadataResponse.TensorMetadata.newBuilder().setName(t.name()).setDatatype(t.datatype())
                .addAllShape(t.shape().stream().map(Integer::longValue).toList()).build();
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
        answer(response, () -> {
            try (ServedVersion.Lease lease = lease(request.getModelName(), request.getModelVersion())) {
                return infer(lease, request);
            }
        });
    }

    private ModelInferResponse infer(ServedVersion.Lease lease, ModelInferRequest request) {
        LoadedModel model = lease.model();
        List<String> available = OpenInference.outputNames(model);
        GrpcInferRequest parsed;
        float[] tensor;
        // The message is already received; holding its size in the upload budget while its images decode
        // keeps the bodies held by both doors together within resnet.limits.upload-memory.
        try (MemoryBudget.Lease upload = classifier.reserveUpload(request.getSerializedSize())) {
            parsed = GrpcInferRequest.parse(request, model.spec().input(), limits, available);
            tensor = parsed.images() != null ? classifier.prepare(model, parsed.images()).tensor() : parsed.tensor();
        }
        Outputs outputs = classifier.outputs(model, tensor, parsed.count());
        if (parsed.images() != null) {
            ArrayPool.SHARED.giveBack(tensor); // the pooled tensor of decoded images, now answered
        }

        ModelInferResponse.Builder out = ModelInferResponse.newBuilder().setModelName(model.name())
                .setModelVersion(lease.version()).setId(request.getId());
        int n = parsed.count();
        for (String name : available) {
            if (parsed.outputs() != null && !parsed.outputs().contains(name)) {
                continue;
            }
            ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(name);
            InferTensorContents.Builder contents = InferTensorContents.newBuilder();
            ByteString raw;
            if (name.equals(OpenInference.OUTPUT) && parsed.classification() > 0) {
                int k = Math.min(parsed.classification(), model.labels().size());
                List<String> classes = OpenInference.classification(model, outputs.probabilities(), k);
                t.setDatatype("BYTES").addShape(n).addShape(k);
                classes.forEach(c -> contents.addBytesContents(ByteString.copyFromUtf8(c)));
                raw = parsed.raw() ? ByteString.copyFrom(RawTensors.strings(classes)) : null;
            } else if (name.equals(OpenInference.OUTPUT)) {
                int classes = model.labels().size();
                float[] data = OpenInference.flatten(outputs.probabilities(), classes);
                t.setDatatype("FP32").addShape(n).addShape(classes);
                raw = parsed.raw() ? ByteString.copyFrom(RawTensors.floats(data)) : null;
                if (raw == null) {
                    for (float v : data) {
                        contents.addFp32Contents(v);
                    }
                }
            } else if (name.equals(OpenInference.OOD_SCORE_OUTPUT)) {
                float[] scores = outputs.oodScores();
                t.setDatatype("FP32").addShape(n);
                raw = parsed.raw() ? ByteString.copyFrom(RawTensors.floats(scores)) : null;
                if (raw == null) {
                    for (float v : scores) {
                        contents.addFp32Contents(v);
                    }
                }
            } else {
                boolean[] flags = OpenInference.outOfDistribution(model, outputs.oodScores());
                t.setDatatype("BOOL").addShape(n);
                raw = parsed.raw() ? ByteString.copyFrom(RawTensors.bools(flags)) : null;
                if (raw == null) {
                    for (boolean v : flags) {
                        contents.addBoolContents(v);
                    }
                }
            }
            if (raw != null) {
                out.addRawOutputContents(raw);
            } else {
                t.setContents(contents);
            }
            out.addOutputs(t);
        }
        return out.build();
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> response) {
        answer(response, () -> {
            RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
            for (VersionStatus status : repository().index()) {
                if (request.getReady() && status.state() != VersionState.READY) {
                    continue;
                }
                index.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(status.name())
                        .setVersion(status.version()).setState(status.state().name())
                        .setReason(status.reason() == null ? "" : status.reason()));
            }
            return index.build();
        });
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request,
            StreamObserver<RepositoryModelLoadResponse> response) {
        answer(response, () -> {
            refuseParameters(request.getParametersCount());
            repository().load(request.getModelName());
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
            StreamObserver<RepositoryModelUnloadResponse> response) {
        answer(response, () -> {
            refuseParameters(request.getParametersCount());
            repository().unload(request.getModelName());
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    /** Triton's load parameters carry a model configuration or files: this server only loads folders by name. */
    private static void refuseParameters(int count) {
        if (count > 0) {
            throw GrpcException.invalid("load and unload take a model folder's name and no parameters");
        }
    }

    private ModelRepository repository() {
        if (!repositoryOpen) {
            throw new GrpcException(Status.Code.UNIMPLEMENTED,
                    "the model repository is off: it needs resnet.security.admin-keys");
        }
        return repository.getObject();
    }

    /** That version of the model (empty: its highest served), held for this request. */
    private ServedVersion.Lease lease(String name, String version) {
        Long number = version.isEmpty() ? null : ModelVersions.parse(version);
        if (!version.isEmpty() && number == null) {
            throw new GrpcException(Status.Code.NOT_FOUND, "model \"" + name + "\" has no version \"" + version + "\"");
        }
        return models.acquire(name, number).orElseThrow(() -> {
            if (number == null && (name.equals(models.defaultName()) || models.names().contains(name))) {
                return new GrpcException(Status.Code.UNAVAILABLE, "model \"" + name + "\" has no version loaded");
            }
            return new GrpcException(Status.Code.NOT_FOUND, number == null ? "unknown model \"" + name + "\""
                    : "model \"" + name + "\" has no loaded version \"" + version + "\"");
        });
    }

    private boolean ready() {
        return availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
    }

    private static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
            return;
        }
        response.onNext(result);
        response.onCompleted();
    }
}
