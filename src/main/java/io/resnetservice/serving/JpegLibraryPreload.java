package io.resnetservice.serving;

import io.resnetservice.image.ImageDecoder;
import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.context.ApplicationListener;

/**
 * Loads the JPEG library on a thread of its own as soon as the application starts. Without the system's
 * TurboJPEG, OpenCV's natives are loaded from the jar, and the web layer would otherwise wait for them on
 * the main thread halfway through start-up; now they load beside libtorch and Spring.
 */
public final class JpegLibraryPreload implements ApplicationListener<ApplicationStartingEvent> {

    @Override
    public void onApplicationEvent(ApplicationStartingEvent event) {
        Thread thread = new Thread(ImageDecoder::preloadJpegLibrary, "jpeg-library");
        thread.setDaemon(true);
        thread.start();
    }
}
