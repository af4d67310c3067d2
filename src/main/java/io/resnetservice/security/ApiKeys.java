package io.resnetservice.security;

import io.resnetservice.config.ResnetProperties;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The configured inference and admin keys, and the one way a presented key is compared with them: both
 * doors (HTTP and gRPC) take a key as {@code x-api-key: KEY} or {@code authorization: Bearer KEY}.
 */
public final class ApiKeys {

    public enum Access { NONE, INFERENCE, ADMIN }

    private final List<byte[]> keys;
    private final List<byte[]> adminKeys;

    public ApiKeys(ResnetProperties.Security security) {
        this.keys = bytes(security.apiKeys());
        this.adminKeys = bytes(security.adminKeys());
    }

    private static List<byte[]> bytes(List<String> keys) {
        return keys.stream().filter(k -> !k.isBlank()).map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** Whether inference needs a key at all. */
    public boolean inferenceOpen() {
        return keys.isEmpty();
    }

    /** Whether the model repository exists: only where an admin key is configured. */
    public boolean repositoryOpen() {
        return !adminKeys.isEmpty();
    }

    /** What a presented key (null: none) opens; an admin key is not an inference key, nor the reverse. */
    public Access of(String presented) {
        if (matches(adminKeys, presented)) {
            return Access.ADMIN;
        }
        return matches(keys, presented) ? Access.INFERENCE : Access.NONE;
    }

    public boolean inference(String presented) {
        return matches(keys, presented);
    }

    /** The key from an {@code x-api-key} value, else from an {@code authorization: Bearer} value; null: none. */
    public static String presented(String apiKeyHeader, String authorizationHeader) {
        if (apiKeyHeader != null) {
            return apiKeyHeader;
        }
        return authorizationHeader != null && authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorizationHeader.substring(7).strip() : null;
    }

    private static boolean matches(List<byte[]> keys, String presented) {
        if (presented == null) {
            return false;
        }
        byte[] candidate = presented.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            // Constant time per key, so response timing does not reveal how much of a key was right.
            match |= MessageDigest.isEqual(key, candidate);
        }
        return match;
    }
}
