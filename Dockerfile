# syntax=docker/dockerfile:1
# resnet-service container image.
#   docker build -t resnet-service .
#   docker run --rm -p 8080:8080 -p 8081:8081 --read-only --tmpfs /tmp resnet-service
# Base images are arguments so that a registry mirror or a locally built base can stand in: the builder
# is any JDK 17 with its jmods (it also makes the Java runtime), the base any glibc Debian or Ubuntu.
# This image is for the CPU. A GPU image runs the -Pcuda jar on a base that ships libtorch 2.7.1+cu128
# (docs/gpu.md; Maven Central serves no CUDA libtorch 2.7.1, and nothing of it has run on a GPU yet).
ARG BUILDER_IMAGE=eclipse-temurin:17-jdk
ARG BASE_IMAGE=debian:bookworm-slim
# The Java modules the service needs (jdeps over the application and its libraries); ContainerLayoutIT
# starts the service on a runtime linked from this list.
ARG JAVA_MODULES=java.base,java.compiler,java.desktop,java.instrument,java.naming,java.net.http,java.prefs,java.scripting,java.security.jgss,java.sql,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.unsupported,jdk.zipfs

FROM ${BUILDER_IMAGE} AS build
ARG MAVEN_PROFILES=
WORKDIR /src
# Dependencies first: this layer is rebuilt only when the POM changes.
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline ${MAVEN_PROFILES:+-P$MAVEN_PROFILES}
COPY src/ src/
RUN ./mvnw -B -q package -DskipTests ${MAVEN_PROFILES:+-P$MAVEN_PROFILES} \
 && cp target/resnet-service-*.jar /app.jar \
 && java -Djarmode=tools -jar /app.jar extract --layers --launcher --destination /layers
# Extract libtorch and DJL's JNI library now, into a fixed folder (/opt/libtorch, which
# PYTORCH_LIBRARY_PATH names at run time), so the container starts offline and never writes outside /tmp.
# The native jar they came from is then left out of the image (it would ship libtorch twice), and the
# libraries' static symbol tables (unused at run time) are stripped with binutils.
# The bundled libjpeg-turbo (OpenCV's natives and the OpenBLAS they link) is left out too: the image
# installs the system's TurboJPEG below, which the service chooses first, so OpenCV would never load.
ARG LEFT_OUT_JARS="pytorch-native-*.jar opencv-*-linux-x86_64.jar openblas-*-linux-x86_64.jar javacpp-*-linux-x86_64.jar"
ENV DJL_CACHE_DIR=/opt/djl ENGINE_CACHE_DIR=/opt/djl
RUN java -Dai.djl.offline=true -jar /app.jar engine \
 && mv /opt/djl/pytorch/*/ /opt/libtorch \
 && rm -rf /opt/djl \
 && for jar in ${LEFT_OUT_JARS}; do rm -f /layers/dependencies/BOOT-INF/lib/$jar; done \
 && if ! command -v strip >/dev/null && command -v apt-get >/dev/null; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils; fi \
 && if command -v strip >/dev/null; then strip --strip-unneeded /opt/libtorch/*.so*; fi \
 && chmod -R a+rX /opt/libtorch
# A Java runtime of only those modules, with the JDK's class-data archive for compressed pointers (heaps
# under 32 GB) so classes load from a mapped archive.
ARG JAVA_MODULES
RUN jlink --add-modules "${JAVA_MODULES}" --strip-debug --no-man-pages --no-header-files --compress=2 \
      --generate-cds-archive --output /opt/java \
 && rm -f /opt/java/lib/server/classes_nocoops.jsa \
 && if command -v strip >/dev/null; then find /opt/java -name '*.so' -exec strip --strip-unneeded {} +; fi

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="resnet-service" \
      org.opencontainers.image.description="Image classification over HTTP with a ResNet built from residual blocks (Java, DJL, PyTorch engine)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="resnet-service"
# TurboJPEG decodes photos at reduced scale (ImageDecoder); without it the service still runs, slower and
# with more memory per photo. The package is libturbojpeg0 on Debian bases, libturbojpeg on Ubuntu.
RUN apt-get update \
 && (apt-get install -y --no-install-recommends libturbojpeg0 || apt-get install -y --no-install-recommends libturbojpeg) \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
COPY --from=build /opt/java /opt/java
WORKDIR /app
# Least-changing layers first: libraries, the Boot loader, the natives, then our own classes and model.
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /opt/libtorch /opt/libtorch
COPY --from=build /layers/application/ ./
# The JVM sizes its heap from the container's memory limit; libtorch's native memory needs the rest.
# 4 MB heap regions: each request's input tensor stays an ordinary object (see HeapRegions). A GC time
# ratio of 4: G1 grows the heap only past 20 % of time in collections, so the startup's dense collections
# do not leave a heap twice the size the traffic needs.
# libtorch's intra-op threads follow the CPUs the JVM sees (the container's CPU limit).
# glibc keeps freed activations for the next forward pass instead of page-faulting them afresh (see
# AllocatorSettings: up to 1.6x the images/s on 2 cores).
ENV JAVA_HOME=/opt/java \
    PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTORCH_LIBRARY_PATH=/opt/libtorch \
    DJL_CACHE_DIR=/tmp/djl \
    ENGINE_CACHE_DIR=/tmp/djl \
    OMP_WAIT_POLICY=PASSIVE \
    MALLOC_MMAP_THRESHOLD_=268435456 \
    MALLOC_TRIM_THRESHOLD_=1073741824 \
    MALLOC_TOP_PAD_=67108864 \
    MALLOC_ARENA_MAX=2 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:G1HeapRegionSize=4m -XX:GCTimeRatio=4 -XX:+ExitOnOutOfMemoryError -Dai.djl.offline=true -Djava.io.tmpdir=/tmp"
USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
