package io.resnetservice.grpc;

import io.resnetservice.serving.DrainNotice;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;

/**
 * The drain notice ends before the gRPC server shuts down: both stop in the last lifecycle phase, and a
 * bean's dependents stop first, so the notice is made a dependent of the server. Through the notice the
 * gRPC health service already answers NOT_SERVING while RPCs are still served, as readiness does over
 * HTTP; then in-flight RPCs finish and new ones are UNAVAILABLE.
 */
final class GrpcShutdownOrder implements BeanFactoryPostProcessor {

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        for (String server : beanFactory.getBeanNamesForType(GrpcServerLifecycle.class, true, false)) {
            for (String notice : beanFactory.getBeanNamesForType(DrainNotice.class, true, false)) {
                beanFactory.registerDependentBean(server, notice);
            }
        }
    }
}
