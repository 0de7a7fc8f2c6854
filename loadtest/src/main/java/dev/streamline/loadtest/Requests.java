package dev.streamline.loadtest;

import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds sampling request bodies. The sample of global index i always has seed {@code seed + i},
 * in every cell: request k of a cell carries samples k·n … k·n + n − 1. So every cell draws the
 * same starting noise for the same index, cells can be compared pair by pair, and the exact
 * solution for an index is one reference solve shared by the whole sweep. Class-conditional models
 * get labels cycling through the classes by global index.
 *
 * @param classes the model's number of classes, 0 when unconditional
 * @param guidance classifier-free guidance scale, or null for the server's default
 */
record Requests(long seed, int classes, Double guidance) {

  ObjectNode body(Cell cell, long firstIndex, int n) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("n", n);
    solver(body, cell);
    body.put("seed", seed + firstIndex);
    if (classes > 0) {
      var labels = body.putArray("labels");
      for (int j = 0; j < n; j++) {
        labels.add((int) ((firstIndex + j) % classes));
      }
      if (guidance != null) {
        body.put("guidance", guidance);
      }
    }
    return body;
  }

  /** The cell's sampler with its steps or its tolerance, as any endpoint takes them. */
  static void solver(ObjectNode body, Cell cell) {
    body.put("sampler", cell.sampler());
    if (cell.steps() != null) {
      body.put("steps", cell.steps());
    }
    if (cell.tolerance() != null) {
      body.putObject("options").put("rtol", cell.tolerance()).put("atol", cell.tolerance());
    }
  }

  /** The class asked for at a global index, or -1 for an unconditional model. */
  int label(long index) {
    return classes > 0 ? (int) (index % classes) : -1;
  }
}
