package io.resnetservice.training;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/** One PNG with the confusion matrix on the left and the training curves on the right. */
final class MetricsChart {

    private static final int CELL = 44;
    private static final Color INK = new Color(0x22, 0x22, 0x22);

    private MetricsChart() {}

    static void write(Path file, EvaluateCommand.Result result, List<String> labels,
            List<TrainCommand.EpochRecord> history) throws IOException {
        int n = labels.size();
        int matrixLeft = 110;
        int matrixTop = 70;
        int width = matrixLeft + n * CELL + 60 + 520;
        int height = matrixTop + n * CELL + 110;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(INK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(String.format(Locale.ROOT, "Fashion-MNIST test accuracy %.2f%% (%d images)", result.accuracy() * 100,
                result.images()), 20, 28);

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString("predicted →", matrixLeft + n * CELL / 2 - 30, matrixTop - 28);
        for (int r = 0; r < n; r++) {
            int total = 0;
            for (int v : result.confusion()[r]) {
                total += v;
            }
            for (int c = 0; c < n; c++) {
                int v = result.confusion()[r][c];
                double share = total == 0 ? 0 : (double) v / total;
                float level = (float) Math.pow(share, 0.5);
                g.setColor(new Color(1f - 0.8f * level, 1f - 0.55f * level, 1f - 0.2f * level));
                g.fillRect(matrixLeft + c * CELL, matrixTop + r * CELL, CELL, CELL);
                g.setColor(level > 0.6f ? Color.WHITE : INK);
                String text = Integer.toString(v);
                g.drawString(text, matrixLeft + c * CELL + (CELL - g.getFontMetrics().stringWidth(text)) / 2,
                        matrixTop + r * CELL + CELL / 2 + 4);
            }
            g.setColor(INK);
            g.drawString(labels.get(r), 8, matrixTop + r * CELL + CELL / 2 + 4);
        }
        for (int c = 0; c < n; c++) {
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.translate(matrixLeft + c * CELL + CELL / 2 + 4, matrixTop + n * CELL + 8);
            rotated.rotate(Math.PI / 4);
            rotated.drawString(labels.get(c), 0, 0);
            rotated.dispose();
        }
        g.drawString("true ↓", 8, matrixTop - 8);

        if (!history.isEmpty()) {
            drawCurves(g, history, matrixLeft + n * CELL + 60, matrixTop, 480, n * CELL);
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void drawCurves(Graphics2D g, List<TrainCommand.EpochRecord> history, int left, int top, int w, int h) {
        g.setColor(INK);
        g.drawRect(left, top, w, h);
        g.drawString("accuracy (left axis 0.7-1.0) and training loss (right axis 0-1) per epoch", left, top - 8);
        int epochs = history.size();
        for (int i = 0; i <= 6; i++) {
            double acc = 0.7 + 0.05 * i;
            int y = top + h - (int) ((acc - 0.7) / 0.3 * h);
            g.setColor(new Color(0xE4, 0xE4, 0xE4));
            g.drawLine(left + 1, y, left + w - 1, y);
            g.setColor(INK);
            g.drawString(String.format(Locale.ROOT, "%.2f", acc), left - 34, y + 4);
            g.drawString(String.format(Locale.ROOT, "%.1f", (acc - 0.7) / 0.3), left + w + 6, y + 4);
        }
        for (int e = 1; e <= epochs; e += Math.max(1, epochs / 12)) {
            g.drawString(Integer.toString(e), left + x(e, epochs, w) - 4, top + h + 16);
        }
        g.drawString("epoch", left + w / 2 - 15, top + h + 34);
        plot(g, history, r -> (r.trainAccuracy() - 0.7) / 0.3, new Color(0x1f, 0x77, 0xb4), left, top, w, h);
        plot(g, history, r -> (r.testAccuracy() - 0.7) / 0.3, new Color(0xd6, 0x27, 0x28), left, top, w, h);
        plot(g, history, r -> r.trainLoss(), new Color(0x55, 0x55, 0x55), left, top, w, h);
        legend(g, left + 12, top + h - 60, new Color(0x1f, 0x77, 0xb4), "train accuracy");
        legend(g, left + 12, top + h - 42, new Color(0xd6, 0x27, 0x28), "test accuracy");
        legend(g, left + 12, top + h - 24, new Color(0x55, 0x55, 0x55), "train loss");
    }

    private static int x(int epoch, int epochs, int w) {
        return epochs == 1 ? w / 2 : (int) ((epoch - 1) / (double) (epochs - 1) * (w - 20)) + 10;
    }

    private static void plot(Graphics2D g, List<TrainCommand.EpochRecord> history,
            ToDoubleFunction<TrainCommand.EpochRecord> f, Color color, int left, int top, int w, int h) {
        Path2D path = new Path2D.Double();
        for (int i = 0; i < history.size(); i++) {
            double v = Math.max(0, Math.min(1, f.applyAsDouble(history.get(i))));
            double px = left + x(i + 1, history.size(), w);
            double py = top + h - v * h;
            if (i == 0) {
                path.moveTo(px, py);
            } else {
                path.lineTo(px, py);
            }
            g.setColor(color);
            g.fillOval((int) px - 3, (int) py - 3, 6, 6);
        }
        g.setStroke(new BasicStroke(2f));
        g.draw(path);
        g.setStroke(new BasicStroke(1f));
    }

    private static void legend(Graphics2D g, int x, int y, Color color, String text) {
        g.setColor(color);
        g.fillRect(x, y - 8, 14, 8);
        g.setColor(INK);
        g.drawString(text, x + 20, y);
    }
}
