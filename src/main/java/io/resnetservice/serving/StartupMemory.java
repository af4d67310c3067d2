package io.resnetservice.serving;

import io.resnetservice.runtime.AllocatorSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Once everything is loaded and warmed, before readiness: one full collection gives back the heap the
 * startup's garbage made the JVM commit, and glibc gives back the native memory that loading and
 * compiling the models freed. Requests then start from the service's working set, not its startup peak.
 */
@Component
public class StartupMemory {

    private static final Logger log = LoggerFactory.getLogger(StartupMemory.class);

    @EventListener(ApplicationStartedEvent.class)
    public void release() {
        double before = ProcessGauges.residentBytes(ProcessGauges.STATUS);
        System.gc();
        boolean trimmed = AllocatorSettings.releaseFreeNativeMemory();
        double after = ProcessGauges.residentBytes(ProcessGauges.STATUS);
        log.info("Memory after startup: resident {} MB, {} MB once startup garbage was collected{}",
                Math.round(before / 1e6), Math.round(after / 1e6), trimmed ? " and freed native memory returned" : "");
    }
}
