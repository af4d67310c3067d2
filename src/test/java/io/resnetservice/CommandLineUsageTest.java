package io.resnetservice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The jar's first argument: a subcommand, an option for the service, or a typo that must not start the server. */
class CommandLineUsageTest {

    @Test
    void firstArgumentsMapToCommands() {
        assertEquals(ResnetServiceApplication.Command.SERVE, ResnetServiceApplication.command(new String[0]));
        assertEquals(ResnetServiceApplication.Command.SERVE,
                ResnetServiceApplication.command(new String[] {"--server.port=0"}));
        assertEquals(ResnetServiceApplication.Command.TRAIN, ResnetServiceApplication.command(new String[] {"train"}));
        assertEquals(ResnetServiceApplication.Command.EVALUATE,
                ResnetServiceApplication.command(new String[] {"evaluate", "--model", "m"}));
        assertEquals(ResnetServiceApplication.Command.HELP, ResnetServiceApplication.command(new String[] {"--help"}));
        assertEquals(ResnetServiceApplication.Command.UNKNOWN,
                ResnetServiceApplication.command(new String[] {"evalute", "--model", "m"}));
    }

    @Test
    void aMistypedSubcommandPrintsTheUsageAndFails() throws Exception {
        Process p = java("evalute", "--model", "x");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), output);
        assertTrue(output.contains("unknown command \"evalute\"") && output.contains("evaluate [options]"), output);
        assertTrue(!output.contains("Tomcat"), "no server started: " + output);
    }

    @Test
    void helpPrintsTheUsageAndSucceeds() throws Exception {
        Process p = java("--help");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.startsWith("Usage:") && output.contains("train [options]"), output);
    }

    private static Process java(String... args) throws Exception {
        var command = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ResnetServiceApplication.class.getName()));
        command.addAll(java.util.List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }
}
