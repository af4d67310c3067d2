package io.resnetservice.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a version folder holds. {@link #of} is cheap (names, sizes and times, the inode's change time
 * included, which no copy tool preserves): polling compares it between passes to tell a folder still being
 * written. {@link #digest} hashes the bytes: a version is reloaded only when its content differs from
 * what was loaded, never for a touched file.
 */
record ContentFingerprint(List<String> files) {

    /** The regular files of a version: all files below a version folder; a flat folder's own files only. */
    static List<Path> filesOf(Path folder, boolean flat) throws IOException {
        try (Stream<Path> walk = flat ? Files.list(folder) : Files.walk(folder)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    static ContentFingerprint of(Path folder, boolean flat) throws IOException {
        List<String> files = new ArrayList<>();
        for (Path file : filesOf(folder, flat)) {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            Object changed = changeTime(file);
            files.add(folder.relativize(file) + " " + a.size() + " " + a.lastModifiedTime().toMillis() + " " + changed
                    + " " + a.fileKey());
        }
        return new ContentFingerprint(List.copyOf(files));
    }

    private static Object changeTime(Path file) {
        try {
            return ((FileTime) Files.getAttribute(file, "unix:ctime")).toMillis();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "-";
        }
    }

    /** SHA-256 over each file's relative name, length and bytes. */
    static String digest(Path folder, boolean flat) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 16];
        for (Path file : filesOf(folder, flat)) {
            sha.update(folder.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(Long.toString(Files.size(file)).getBytes(StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Bytes on disk of a version's files: what its load is estimated from. */
    static long bytes(Path folder, boolean flat) throws IOException {
        long total = 0;
        for (Path file : filesOf(folder, flat)) {
            total += Files.size(file);
        }
        return total;
    }
}
