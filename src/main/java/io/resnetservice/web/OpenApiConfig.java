package io.resnetservice.web;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The title page of the OpenAPI document and Swagger UI. */
@Configuration
public class OpenApiConfig {

    @Bean
    OpenAPI resnetServiceApi() {
        String version = OpenApiConfig.class.getPackage().getImplementationVersion();
        return new OpenAPI().info(new Info()
                .title("resnet-service")
                .version(version == null ? "dev" : version)
                .description("Image classification with ResNets built from residual blocks in Java (DJL, PyTorch engine). "
                        + "REST API under /api/v1; KServe's Open Inference Protocol (v2) under /v2. Errors are RFC 9457 "
                        + "problem details (application/problem+json); the v2 endpoints answer {\"error\": \"...\"} as the "
                        + "protocol says.")
                .license(new License().name("Apache-2.0")));
    }
}
