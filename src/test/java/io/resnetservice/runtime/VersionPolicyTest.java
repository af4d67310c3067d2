package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class VersionPolicyTest {

    @Test
    void latestTriesTheHighestFirstAndWantsOne() {
        VersionPolicy latest = VersionPolicy.parse("latest");
        assertEquals(List.of(3L, 2L, 1L), latest.candidates(List.of(1L, 3L, 2L)));
        assertEquals(1, latest.wanted(3));
        assertEquals(0, latest.wanted(0));
        assertEquals(latest, VersionPolicy.parse(""), "the default");
        assertEquals(latest, VersionPolicy.parse(null));
    }

    @Test
    void latestNAllAndSpecific() {
        assertEquals(2, VersionPolicy.parse("latest:2").wanted(3));
        assertEquals(1, VersionPolicy.parse("latest:2").wanted(1));
        assertEquals(3, VersionPolicy.parse("ALL").wanted(3));
        VersionPolicy specific = VersionPolicy.parse("specific: 1, 3");
        assertEquals(List.of(3L, 1L), specific.candidates(List.of(1L, 2L, 3L)));
        assertEquals(2, specific.wanted(2));
        assertEquals("specific:1,3", specific.toString());
        assertEquals("latest:2", VersionPolicy.parse("latest:2").toString());
    }

    @Test
    void anythingElseIsRefusedWithTheChoices() {
        for (String bad : List.of("newest", "latest:0", "latest:x", "specific:", "specific:0", "specific:1,-2")) {
            assertEquals(true, assertThrows(IllegalArgumentException.class, () -> VersionPolicy.parse(bad))
                    .getMessage().contains("latest, latest:N"), bad);
        }
    }
}
