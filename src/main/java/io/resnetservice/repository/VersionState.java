package io.resnetservice.repository;

/** A model version's state, as the Open Inference Protocol's model repository extension names them. */
public enum VersionState {
    /** Loaded, warmed and answering. */
    READY,
    /** Being loaded and warmed beside what serves. */
    LOADING,
    /** Retired: finishing the requests it holds, then releasing its memory. */
    UNLOADING,
    /** On disk but not serving; {@code reason} says why. */
    UNAVAILABLE
}
