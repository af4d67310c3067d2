package io.resnetservice.inference;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The {@code k} most probable classes of one softmax row, most probable first. */
public final class TopK {

    private TopK() {}

    public static List<Prediction> of(float[] probabilities, List<String> labels, int k) {
        List<Prediction> all = new ArrayList<>(probabilities.length);
        for (int i = 0; i < probabilities.length; i++) {
            all.add(new Prediction(labels.get(i), i, probabilities[i]));
        }
        all.sort(Comparator.comparingDouble(Prediction::probability).reversed()
                .thenComparingInt(Prediction::index));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }
}
