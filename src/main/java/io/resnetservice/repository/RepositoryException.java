package io.resnetservice.repository;

/** A repository request refused: a name that is not a model folder's, or a load that failed. */
public final class RepositoryException extends RuntimeException {

    public enum Kind {
        /** Not a bare folder name (a path, a URL, a dot name, a control character). */
        BAD_NAME,
        /** No such model folder. */
        NOT_FOUND,
        /** The folder is there but none of its wanted versions loaded. */
        LOAD_FAILED
    }

    private final Kind kind;

    RepositoryException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
