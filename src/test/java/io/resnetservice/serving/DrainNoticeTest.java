package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;

class DrainNoticeTest {

    @Test
    void stopsBeforeTheWebServerAndHoldsItOpenForTheNotice() {
        DrainNotice notice = new DrainNotice(Duration.ofMillis(300));
        assertTrue(notice.getPhase() > WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE,
                "stopped before the web server's graceful shutdown, which would close the connector");
        assertTrue(notice.isAutoStartup());
        notice.start();
        assertTrue(notice.isRunning());
        long start = System.nanoTime();
        notice.stop();
        long heldMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(heldMillis >= 300, "held the server open for the notice: " + heldMillis + " ms");
        assertFalse(notice.isRunning());
    }

    @Test
    void anInterruptedNoticeEndsAndKeepsTheInterrupt() {
        DrainNotice notice = new DrainNotice(Duration.ofHours(1));
        notice.start();
        Thread.currentThread().interrupt();
        notice.stop();
        assertTrue(Thread.interrupted(), "the interrupt is kept for the shutdown that follows");
        assertFalse(notice.isRunning());
    }
}
