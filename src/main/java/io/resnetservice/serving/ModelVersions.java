package io.resnetservice.serving;

/** Model versions as routes and answers spell them: positive integers, no sign, no leading zero. */
public final class ModelVersions {

    private ModelVersions() {}

    /** The version {@code text} names; null where it names none. */
    public static Long parse(String text) {
        if (text == null || !text.matches("[1-9][0-9]{0,17}")) {
            return null;
        }
        return Long.parseLong(text);
    }
}
