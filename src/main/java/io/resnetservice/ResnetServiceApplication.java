package io.resnetservice;

import io.resnetservice.training.EvaluateCommand;
import io.resnetservice.training.TrainCommand;
import java.util.Arrays;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Starts the web service, or with a first argument of {@code train} or {@code evaluate} runs that
 * command on Fashion-MNIST instead (no web server); {@code engine} prints the PyTorch engine's facts.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ResnetServiceApplication {

    /**
     * Starts the PyTorch engine and says what it is. The container build runs it once so that the
     * native libraries are extracted into the image rather than at every start.
     */
    static void engine() {
        ai.djl.engine.Engine engine = ai.djl.engine.Engine.getEngine("PyTorch");
        System.out.printf("%s %s, %d GPU(s), cache %s%n", engine.getEngineName(), engine.getVersion(),
                engine.getGpuCount(), ai.djl.util.Utils.getEngineCacheDir());
    }

    public static void main(String[] args) throws Exception {
        // DJL must never reach the network: no engine download, no telemetry probe.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        String command = args.length > 0 ? args[0] : "";
        String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
        switch (command) {
            case "train" -> TrainCommand.main(rest);
            case "evaluate" -> EvaluateCommand.main(rest);
            case "engine" -> engine();
            default -> SpringApplication.run(ResnetServiceApplication.class, args);
        }
    }
}
