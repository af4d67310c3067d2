package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class OutputsTest {

    @Test
    void rowsAreASliceOfBothProbabilitiesAndScores() {
        float[][] p = {{1}, {2}, {3}, {4}};
        Outputs all = new Outputs(p, new float[] {10, 20, 30, 40});
        assertEquals(4, all.size());
        Outputs middle = all.rows(1, 2);
        assertEquals(2, middle.size());
        assertArrayEquals(new float[][] {{2}, {3}}, middle.probabilities());
        assertArrayEquals(new float[] {20, 30}, middle.oodScores());
        Outputs plain = new Outputs(p, null).rows(3, 1);
        assertArrayEquals(new float[][] {{4}}, plain.probabilities());
        assertNull(plain.oodScores());
    }
}
