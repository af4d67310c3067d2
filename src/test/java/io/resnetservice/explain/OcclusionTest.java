package io.resnetservice.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.resnetservice.image.Pixels;
import org.junit.jupiter.api.Test;

/** The two ways occlusion paints a picture, and how their answers make one heatmap. */
class OcclusionTest {

    static Pixels ones(int w, int h) {
        float[] data = new float[w * h];
        java.util.Arrays.fill(data, 1f);
        return new Pixels(w, h, 1, data);
    }

    @Test
    void theKeptWindowIsTheOnlyRegionLeftAndLiesWhollyInsideTheGrid() {
        Occlusion.Grid grid = new Occlusion.Grid(4, 4);
        assertEquals(4, grid.keptCount()); // 3x3 cells at offsets 0 and 1 each way
        Pixels kept = Occlusion.keptOnly(ones(8, 8), grid, 3, new float[] {0f});
        // Placement 3: rows 1-3 and columns 1-3 of cells, pixels 2..8 each way.
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                assertEquals(x >= 2 && y >= 2 ? 1f : 0f, kept.at(0, x, y), "pixel " + x + "," + y);
            }
        }
        Occlusion.Grid narrow = new Occlusion.Grid(2, 8);
        assertEquals(6, narrow.keptCount()); // the window is cut to the grid's 2 rows, 6 placements across
    }

    @Test
    void deletionPaintsOneWindowAndPreservationEverythingElse() {
        Occlusion.Grid grid = new Occlusion.Grid(4, 4);
        Pixels deleted = Occlusion.occluded(ones(8, 8), grid, 15, new float[] {0f}); // the last cell, cut at the edge
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                assertEquals(x >= 6 && y >= 6 ? 0f : 1f, deleted.at(0, x, y), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void theHeatmapAddsBothGamesAndScalesTheLargestToOne() {
        Occlusion.Grid grid = new Occlusion.Grid(1, 4);
        // A 1x4 grid: deletion windows of 1x2 at each cell, kept windows of 1x3 at offsets 0 and 1.
        float original = 0.5f;
        float[] occluded = {0.5f, 0.5f, 0.5f, 0.05f}; // hiding the last cell alone costs the class
        float[] kept = {0.001f, 0.5f}; // showing cells 1-3 keeps it, cells 0-2 do not
        float[] values = Occlusion.heatmap(grid, original, occluded, kept);
        // deletion covered: cell 3 is covered by windows 2 and 3 -> (0 + ln 10) / 2; cell 2 by 1 and 2 -> 0
        // preservation: cell 0 only by placement 0 (0), cells 1-2 by both (mean), cell 3 only by placement 1 (max)
        double d3 = 1.0;
        double p12 = 0.5;
        double p3 = 1.0;
        double max = d3 + p3;
        assertArrayEquals(new float[] {0f, (float) (p12 / max), (float) (p12 / max), 1f}, values, 1e-6f);
        assertArrayEquals(new float[4], Occlusion.heatmap(grid, 0.5f, new float[] {0.5f, 0.6f, 0.5f, 0.9f},
                new float[] {0.2f, 0.2f}), 0f, "nothing lowers the class and every window keeps as much: all 0");
    }
}
