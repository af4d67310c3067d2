package io.resnetservice.serving;

import java.util.ArrayList;
import java.util.List;

/** The {@code k} most probable classes of one softmax row, most probable first; ties go to the lower index. */
public final class TopK {

    private TopK() {}

    public static List<Prediction> of(float[] probabilities, List<String> labels, int k) {
        int[] best = indicesOfLargest(probabilities, Math.min(k, probabilities.length));
        List<Prediction> top = new ArrayList<>(best.length);
        for (int index : best) {
            top.add(new Prediction(labels.get(index), index, probabilities[index]));
        }
        return List.copyOf(top);
    }

    /**
     * Selection by insertion into a sorted list of {@code k}: one pass over the row, and a shift only when a
     * value beats the current k-th. Sorting all classes (a thousand boxed predictions per image for an
     * ImageNet head, to return five) cost the request threads more than building the JSON answer.
     */
    static int[] indicesOfLargest(float[] values, int k) {
        int[] best = new int[k];
        int count = 0;
        for (int i = 0; i < values.length && k > 0; i++) {
            float v = values[i];
            // Strictly greater: an equal value at a higher index ranks after the one already held.
            if (count == k && !(v > values[best[k - 1]])) {
                continue;
            }
            int at = count == k ? k - 1 : count++;
            while (at > 0 && v > values[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        return best;
    }
}
