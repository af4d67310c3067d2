package io.resnetservice;

import io.resnetservice.training.EvaluateCommand;
import io.resnetservice.training.TrainCommand;
import java.util.Arrays;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Starts the web service, or with a first argument of {@code train} or {@code evaluate} runs that
 * command on Fashion-MNIST instead (no web server).
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ResnetServiceApplication {

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
            default -> SpringApplication.run(ResnetServiceApplication.class, args);
        }
    }
}
