package io.resnetservice.model;

/** A model folder that cannot be read or does not fit the network it describes; the message names the file. */
public class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
