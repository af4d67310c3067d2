package io.resnetservice.web;

import io.resnetservice.serving.ClassificationService.ImageResult;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

@Schema(description = "The classes of each uploaded image, most probable first",
        example = """
                {"model": "fashion-mnist-resnet18", "modelVersion": "1", "results": [{"name": "sneaker.png", "width": 28, "height": 28,
                 "predictions": [{"label": "Sneaker", "index": 7, "probability": 0.97},
                                 {"label": "Sandal", "index": 5, "probability": 0.02}],
                 "outOfDistribution": false, "oodScore": 14.2}]}""")
public record ClassifyResponse(
        @Schema(description = "Name of the model that answered") String model,
        @Schema(description = "The version of the model that computed every result", example = "1")
                String modelVersion,
        @Schema(description = "One entry per image, in the order they were sent") List<ImageResult> results) {}
