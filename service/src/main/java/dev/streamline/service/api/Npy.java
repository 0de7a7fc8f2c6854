package dev.streamline.service.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/** NumPy's .npy format (version 1.0) for a little-endian float32 C-order array. */
final class Npy {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};

  private Npy() {}

  static byte[] float32(float[] data, List<Integer> shape) {
    String dims = shape.stream().map(String::valueOf).collect(Collectors.joining(", "));
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': ("
        + dims + (shape.size() == 1 ? "," : "") + "), }";
    // The header, with its 10-byte preamble and a closing newline, pads to a multiple of 64 bytes.
    int unpadded = MAGIC.length + 2 + header.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    header = header + " ".repeat(padding) + "\n";
    ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 2 + header.length() + 4 * data.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
    out.asFloatBuffer().put(data);
    return out.array();
  }
}
