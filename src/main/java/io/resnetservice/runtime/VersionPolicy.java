package io.resnetservice.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which versions of a model are served, as Triton's version policies: {@code latest} (the highest version
 * that loads), {@code latest:N} (the N highest that load), {@code all}, or {@code specific:1,3}.
 */
public record VersionPolicy(Kind kind, int latest, Set<Long> specific) {

    public enum Kind { LATEST, ALL, SPECIFIC }

    public static final VersionPolicy LATEST = new VersionPolicy(Kind.LATEST, 1, Set.of());

    public static VersionPolicy parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty() || t.equals("latest")) {
            return LATEST;
        }
        if (t.equals("all")) {
            return new VersionPolicy(Kind.ALL, 0, Set.of());
        }
        try {
            if (t.startsWith("latest:")) {
                int n = Integer.parseInt(t.substring("latest:".length()).strip());
                if (n >= 1) {
                    return new VersionPolicy(Kind.LATEST, n, Set.of());
                }
            } else if (t.startsWith("specific:")) {
                Set<Long> versions = new TreeSet<>();
                for (String v : t.substring("specific:".length()).split(",", -1)) {
                    long version = Long.parseLong(v.strip());
                    if (version < 1) {
                        throw new NumberFormatException(v);
                    }
                    versions.add(version);
                }
                return new VersionPolicy(Kind.SPECIFIC, 0, Set.copyOf(versions));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("the version policy \"" + text
                + "\" is none of latest, latest:N (N >= 1), all, specific:V1,V2,...");
    }

    /** The versions worth trying, in the order to try them: highest first. */
    public List<Long> candidates(List<Long> onDisk) {
        List<Long> sorted = new ArrayList<>(onDisk);
        sorted.sort(Comparator.reverseOrder());
        if (kind == Kind.SPECIFIC) {
            sorted.retainAll(specific);
        }
        return sorted;
    }

    /** How many of the candidates to serve; trying stops once that many have loaded. */
    public int wanted(int candidates) {
        return kind == Kind.LATEST ? Math.min(latest, candidates) : candidates;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LATEST -> latest == 1 ? "latest" : "latest:" + latest;
            case ALL -> "all";
            case SPECIFIC -> "specific:" + String.join(",", new TreeSet<>(specific).stream().map(String::valueOf).toList());
        };
    }
}
