package io.resnetservice.web;

import java.net.URI;

/**
 * The problem types of RFC 9457 answers. Each {@code type} is a relative URI reference naming the kind
 * of problem; clients branch on it rather than on the human-readable {@code detail}.
 */
public enum ProblemType {
    NO_IMAGE("no-image", "No image in the request"),
    EMPTY_IMAGE("empty-image", "Empty image"),
    UNSUPPORTED_IMAGE("unsupported-image", "Not an image in a supported format"),
    UNDECODABLE_IMAGE("undecodable-image", "Broken image"),
    IMAGE_TOO_LARGE("image-too-large", "Image over the limits"),
    REQUEST_TOO_LARGE("request-too-large", "Request over the limits"),
    TOO_MANY_IMAGES("too-many-images", "Too many images in one request"),
    INVALID_PARAMETER("invalid-parameter", "Invalid parameter"),
    MALFORMED_REQUEST("malformed-request", "Malformed request"),
    UNKNOWN_MODEL("unknown-model", "Unknown model"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported media type"),
    NOT_FOUND("not-found", "Not found"),
    METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed"),
    NOT_ACCEPTABLE("not-acceptable", "Not acceptable"),
    MODEL_NOT_READY("model-not-ready", "Model not ready"),
    OVERLOADED("overloaded", "Service overloaded"),
    INTERNAL("internal-error", "Internal error");

    private final URI uri;
    private final String title;

    ProblemType(String slug, String title) {
        this.uri = URI.create("/problems/" + slug);
        this.title = title;
    }

    public URI uri() {
        return uri;
    }

    public String title() {
        return title;
    }
}
