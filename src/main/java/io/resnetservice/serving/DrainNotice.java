package io.resnetservice.serving;

import io.resnetservice.config.ResnetProperties;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The first thing to stop at shutdown: it holds the web server open for {@code resnet.shutdown.drain-notice}
 * while readiness already answers 503 (Spring publishes REFUSING_TRAFFIC before stopping any lifecycle),
 * so a client that polls readiness is told, rather than refused, before the graceful drain begins.
 */
@Component
public class DrainNotice implements SmartLifecycle {

    private final Duration notice;
    private volatile boolean running;

    @Autowired
    public DrainNotice(ResnetProperties properties) {
        this(properties.shutdown().drainNotice());
    }

    DrainNotice(Duration notice) {
        this.notice = notice;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        try {
            Thread.sleep(notice.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Above the web server's graceful-shutdown and stop phases, which stop after this one. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
