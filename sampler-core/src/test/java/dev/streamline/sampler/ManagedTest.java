package dev.streamline.sampler;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/** A test class that shares one engine manager across its tests and closes it at the end. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ManagedTest {

  protected final NDManager manager = Engine.manager();

  @AfterAll
  void closeManager() {
    manager.close();
  }
}
