package io.resnetservice.web;

import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.http.ProblemDetail;

/**
 * The problem responses of the upload operations (classify, explain), written once for the OpenAPI
 * document; each operation states its own 200.
 */
final class ApiResponsesDoc {

    private ApiResponsesDoc() {}

    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @io.swagger.v3.oas.annotations.responses.ApiResponses({
        @ApiResponse(responseCode = "400", description = "No image, an empty, broken or unsupported image, or a bad topK",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = """
                                {"type": "/problems/undecodable-image", "title": "Broken image", "status": 400,
                                 "detail": "the PNG data is broken or truncated"}"""))),
        @ApiResponse(responseCode = "404", description = "Unknown model",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = """
                                {"type": "/problems/unknown-model", "title": "Unknown model", "status": 404,
                                 "detail": "no model named \\"resnet-99\\""}"""))),
        @ApiResponse(responseCode = "413", description = "An image or the request over resnet.limits.*",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = """
                                {"type": "/problems/image-too-large", "title": "Image over the limits", "status": 413,
                                 "detail": "the image declares 100000x100000 pixels, over the limit of 40000000 pixels"}"""))),
        @ApiResponse(responseCode = "415", description = "A body that is neither multipart/form-data nor an image",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = """
                                {"type": "/problems/unsupported-media-type", "title": "Unsupported media type", "status": 415,
                                 "detail": "Content-Type 'text/plain' is not supported."}"""))),
        @ApiResponse(responseCode = "503", description = "The model is not ready",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    })
    @interface UploadProblems {}
}
