package io.resnetservice.repository;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One model version as the repository index lists it.
 *
 * @param name the model's folder directly under {@code resnet.model-dir}
 * @param version a positive integer, as text
 * @param state where it stands
 * @param reason why it is not READY; absent when it is
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersionStatus(String name, String version, VersionState state, String reason) {}
