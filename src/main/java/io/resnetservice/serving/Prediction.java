package io.resnetservice.serving;

/** One class of a classification: its label, its index in the model's output, and its softmax probability. */
public record Prediction(String label, int index, double probability) {}
