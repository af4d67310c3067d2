package io.resnetservice;

import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import io.resnetservice.runtime.NativeSettings;
import io.resnetservice.training.CalibrateCommand;
import io.resnetservice.training.EvaluateCommand;
import io.resnetservice.training.QuantizeCommand;
import io.resnetservice.training.TrainCommand;
import java.util.Arrays;
import java.util.Locale;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Starts the web service, or with a first argument of {@code train}, {@code calibrate}, {@code quantize} or
 * {@code evaluate} runs that
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
        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf(Locale.ROOT, "%s %s, %d GPU(s), cache %s%n", engine.getEngineName(), engine.getVersion(),
                engine.getGpuCount(), Utils.getEngineCacheDir());
    }

    static final String USAGE = """
            Usage: java -jar resnet-service.jar [--spring.or.resnet.property=value ...]   start the web service
                   java -jar resnet-service.jar train [options]      train the Fashion-MNIST ResNet
                       --data DIR --out DIR --epochs N --batch-size N --lr X --weight-decay X --seed N
                       --limit N --resume --crop-padding N --input-size N --erase P --label-smoothing X
                       --low-res-epochs N --low-res-size N --ema DECAY --precision fp32|bf16
                   java -jar resnet-service.jar calibrate [options]  fit the temperature and out-of-distribution
                       --model DIR --data DIR                        statistics of a Fashion-MNIST model folder
                   java -jar resnet-service.jar quantize [options]   write an int8 copy of a model folder
                       --model DIR --calibration fashion-mnist|IMAGE_DIR --out DIR
                       --observer minmax|percentile --images N --test-images N --data DIR
                   java -jar resnet-service.jar evaluate [options]   score a model folder on the test set
                       --model DIR --data DIR
                   java -jar resnet-service.jar engine               print the PyTorch engine's facts
                   java -jar resnet-service.jar --help               this text
            """;

    /** What a command line asks for: a subcommand to run, the web service, or the usage text. */
    enum Command { TRAIN, CALIBRATE, QUANTIZE, EVALUATE, ENGINE, SERVE, HELP, UNKNOWN }

    static Command command(String[] args) {
        if (args.length == 0) {
            return Command.SERVE;
        }
        return switch (args[0]) {
            case "train" -> Command.TRAIN;
            case "calibrate" -> Command.CALIBRATE;
            case "quantize" -> Command.QUANTIZE;
            case "evaluate" -> Command.EVALUATE;
            case "engine" -> Command.ENGINE;
            case "--help", "-h", "help" -> Command.HELP;
            // Options (Spring's --name=value and the JVM-style -Dname) start the service; a bare word is a typo.
            default -> args[0].startsWith("-") ? Command.SERVE : Command.UNKNOWN;
        };
    }

    public static void main(String[] args) throws Exception {
        // DJL must never reach the network: no engine download, no telemetry probe.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // glibc's malloc tunables and OpenMP's wait policy, before anything loads libtorch (NativeSettings).
        NativeSettings.apply();
        String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
        switch (command(args)) {
            case TRAIN -> TrainCommand.main(rest);
            case CALIBRATE -> CalibrateCommand.main(rest);
            case QUANTIZE -> QuantizeCommand.main(rest);
            case EVALUATE -> EvaluateCommand.main(rest);
            case ENGINE -> engine();
            case SERVE -> SpringApplication.run(ResnetServiceApplication.class, args);
            case HELP -> System.out.print(USAGE);
            case UNKNOWN -> {
                System.err.println("unknown command \"" + args[0] + "\"");
                System.err.print(USAGE);
                System.exit(2);
            }
        }
    }
}
