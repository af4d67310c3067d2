package io.resnetservice.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopKTest {

    private static final List<String> LABELS = IntStream.range(0, 1000).mapToObj(i -> "class-" + i).toList();

    /** What the answer must be: every class sorted by probability, highest first, ties by index. */
    private static List<Prediction> bySorting(float[] p, int k) {
        return IntStream.range(0, p.length).boxed()
                .map(i -> new Prediction(LABELS.get(i), i, p[i]))
                .sorted(Comparator.comparingDouble(Prediction::probability).reversed()
                        .thenComparingInt(Prediction::index))
                .limit(k).toList();
    }

    @Test
    void matchesAFullSortForAnyKIncludingTies() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int classes = 1 + random.nextInt(trial % 2 == 0 ? 12 : 1000);
            float[] p = new float[classes];
            for (int i = 0; i < classes; i++) {
                // Few distinct values in odd trials, so ties are common.
                p[i] = trial % 3 == 0 ? random.nextInt(4) / 4f : random.nextFloat();
            }
            for (int k : new int[] {1, 2, 5, classes}) {
                if (k <= classes) {
                    assertThat(TopK.of(p, LABELS, k)).as("trial %d, k=%d", trial, k).isEqualTo(bySorting(p, k));
                }
            }
        }
    }

    @Test
    void mostProbableFirstWithItsLabel() {
        float[] p = {0.1f, 0.6f, 0.05f, 0.25f};
        assertThat(TopK.of(p, LABELS, 2)).containsExactly(
                new Prediction("class-1", 1, 0.6f), new Prediction("class-3", 3, 0.25f));
    }

    @Test
    void aRisingRowKeepsOnlyTheLast() {
        float[] p = new float[1000];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        assertThat(TopK.of(p, LABELS, 3)).extracting(Prediction::index).containsExactly(999, 998, 997);
    }
}
