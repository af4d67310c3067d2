package io.resnetservice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.resnetservice.serving.ServiceLoad;
import jakarta.servlet.ServletException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

class InFlightFilterTest {

    final ServiceLoad load = new ServiceLoad();
    final InFlightFilter filter = new InFlightFilter(load);
    final List<Integer> seen = new ArrayList<>();

    void send(String method, String path) throws Exception {
        filter.doFilter(new MockHttpServletRequest(method, path), new MockHttpServletResponse(),
                (request, response) -> seen.add(load.requestsInFlight()));
    }

    @Test
    void inferencePostsAreCountedWhileTheyRunAndNothingElseIs() throws Exception {
        send("POST", "/api/v1/classify");
        send("POST", "/v2/models/m/infer");
        send("GET", "/actuator/health/readiness");
        send("POST", "/actuator/shutdown");
        send("GET", "/api/v1/models");
        assertEquals(List.of(1, 1, 0, 0, 0), seen, "in flight while the request runs");
        assertEquals(0, load.requestsInFlight(), "all answered");
    }

    @Test
    void aRequestThatFailsIsStillCountedAnswered() {
        assertThrows(ServletException.class, () -> filter.doFilter(new MockHttpServletRequest("POST", "/api/v1/classify"),
                new MockHttpServletResponse(), (request, response) -> {
                    throw new ServletException("broken");
                }));
        assertEquals(0, load.requestsInFlight());
    }
}
