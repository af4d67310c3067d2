package io.resnetservice.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds TorchScript archives in memory from generated source, so the service needs no Python to make
 * them. libtorch keeps the first class it loads under a name for the life of the process: every
 * distinct program needs its own class name.
 */
public final class TorchScriptArchive {

    private TorchScriptArchive() {}

    /**
     * A TorchScript archive of class {@code className} holding {@code source} as its only code: the module object pickled with no
     * state but {@code training = False}, no tensors, no constants.
     */
    public static byte[] of(String className, String source) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(new byte[] {(byte) 0x80, 2, 'c'}); // PROTO 2, GLOBAL
        data.writeBytes(("__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
        data.writeBytes(new byte[] {')', (byte) 0x81, '}', '(', 'X'}); // EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK, BINUNICODE
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        data.writeBytes(new byte[] {(byte) key.length, 0, 0, 0});
        data.writeBytes(key);
        data.writeBytes(new byte[] {(byte) 0x89, 'u', 'b', '.'}); // NEWFALSE, SETITEMS, BUILD, STOP
        byte[] constants = {(byte) 0x80, 2, ')', '.'};
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            stored(out, "resnet/data.pkl", data.toByteArray());
            stored(out, "resnet/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(out, "resnet/constants.pkl", constants);
            stored(out, "resnet/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return zip.toByteArray();
    }

    /** Loads the program {@code source} (class {@code className}) as a module whose handles belong to {@code manager}. */
    static PtSymbolBlock load(NDManager manager, String className, String source) {
        try {
            return JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(of(className, source)), false, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code module}'s {@code prepack(w: List[Tensor])} on {@code weights}: what it returns, owned by the caller. */
    static IValue prepack(PtSymbolBlock module, List<NDArray> weights) {
        PtNDArray[] arrays = weights.stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new);
        try (IValue list = IValue.listFrom(arrays)) {
            return IValueUtils.runMethod(module, "prepack", list);
        }
    }

    private static void stored(ZipOutputStream out, String name, byte[] content) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        CRC32 crc = new CRC32();
        crc.update(content);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(content.length);
        entry.setCompressedSize(content.length);
        entry.setCrc(crc.getValue());
        out.putNextEntry(entry);
        out.write(content);
        out.closeEntry();
    }
}
