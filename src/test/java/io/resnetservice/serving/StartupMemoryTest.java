package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class StartupMemoryTest {

    static long collections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }

    @Test
    void startupGarbageIsCollectedFreedNativeMemoryReturnedAndBothFiguresLogged() {
        Logger logger = (Logger) LoggerFactory.getLogger(StartupMemory.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            long before = collections();
            new StartupMemory().release();
            assertTrue(collections() > before, "a full collection ran");

            assertEquals(1, appender.list.size());
            String message = appender.list.get(0).getFormattedMessage();
            Matcher m = Pattern.compile("Memory after startup: resident (\\d+) MB, (\\d+) MB once startup garbage "
                    + "was collected and freed native memory returned").matcher(message);
            assertTrue(m.matches(), message);
            for (int group = 1; group <= 2; group++) {
                long mb = Long.parseLong(m.group(group));
                assertTrue(mb > 10 && mb < 100_000, "a resident size in MB: " + message);
            }
        } finally {
            logger.detachAppender(appender);
        }
    }
}
