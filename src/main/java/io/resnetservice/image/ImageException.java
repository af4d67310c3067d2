package io.resnetservice.image;

/** An upload that cannot become pixels; {@link #kind()} says why, and so which answer the client gets. */
public class ImageException extends RuntimeException {

    public enum Kind {
        /** Not an image in a format we read. */
        UNSUPPORTED_FORMAT,
        /** A known format whose data is broken. */
        UNDECODABLE,
        /** Nothing to decode. */
        EMPTY,
        /** Over a byte or pixel limit. */
        TOO_LARGE
    }

    private final Kind kind;

    public ImageException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
