package dev.streamline.models.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtEngine;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.streamline.sampler.JacobianTrace;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One TorchScript archive ({@code torch.jit.save}) loaded onto a device, whose forward takes
 * tensors and returns one tensor. Both the network of a {@link TorchScriptModel} and the decoder
 * and encoder of a {@link LatentAutoencoder} are one.
 *
 * <p>Forwards run in libtorch's inference mode, so they record no autograd graph, unless a
 * {@link JacobianTrace} is recording on the calling thread: then the forward records the graph
 * back to its inputs. The parameters are loaded as ordinary tensors for that (inference-mode
 * tensors cannot be saved for backward) and frozen, so a backward pass computes no parameter
 * gradients. TorchScript's
 * graph optimizer is a per-thread libtorch switch; each forward sets it on the calling thread to
 * this module's choice, which also leaves that thread at this choice afterwards (libtorch offers
 * no way to read the previous value). With the optimizer off, the module runs its unoptimized
 * graph from the first call instead of spending about half a second profiling and recompiling
 * over the first calls.
 *
 * <p>Forwards may run on several threads at once. Close the module once none is in flight.
 */
final class TorchScriptModule implements AutoCloseable {

  private final Path file;
  private final ai.djl.Model djlModel;
  private final PtSymbolBlock block;
  private final Device device;
  private final boolean optimizeGraph;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TorchScriptModule(Path file, ai.djl.Model djlModel, Device device,
      boolean optimizeGraph) {
    this.file = file;
    this.djlModel = djlModel;
    this.block = (PtSymbolBlock) djlModel.getBlock();
    this.device = device;
    this.optimizeGraph = optimizeGraph;
  }

  /**
   * @throws FileNotFoundException if there is no file at {@code file}
   * @throws MalformedModelException if the file is not a TorchScript archive
   */
  static TorchScriptModule load(Path file, Device device, boolean optimizeGraph)
      throws IOException, MalformedModelException {
    if (!Files.isRegularFile(file)) {
      throw new FileNotFoundException("TorchScript file " + file + " does not exist");
    }
    ai.djl.Model djlModel =
        ai.djl.Model.newInstance(file.getFileName().toString(), device, PtEngine.ENGINE_NAME);
    try {
      // mapLocation puts the parameters straight onto the device, so an archive saved from GPU
      // tensors still loads on a CPU-only host.
      djlModel.load(file, null, Map.of("mapLocation", "true", "trainParam", "true"));
      djlModel.getBlock().freezeParameters(true);
    } catch (EngineException e) {
      djlModel.close();
      throw new MalformedModelException(file + " is not a TorchScript archive (export the"
          + " module with torch.jit.script or torch.jit.trace and save it with torch.jit.save): "
          + summary(e), e);
    } catch (Throwable e) {
      djlModel.close();
      throw e;
    }
    return new TorchScriptModule(file, djlModel, device, optimizeGraph);
  }

  Path file() {
    return file;
  }

  Device device() {
    return device;
  }

  boolean optimizeGraph() {
    return optimizeGraph;
  }

  /** A manager on the module's home, for scratch arrays that close with the caller's scope. */
  ai.djl.ndarray.NDManager manager() {
    return djlModel.getNDManager();
  }

  /**
   * Runs forward on inputs already on the module's device, in the types it takes.
   *
   * @param scope owns the result
   * @throws IllegalStateException if the module returns something other than one tensor
   * @throws EngineException if libtorch refuses the call (a wrong signature or shape)
   */
  NDArray forward(PtNDManager scope, String signature, NDArray... inputs) {
    if (closed.get()) {
      throw new IllegalStateException("TorchScript module " + file + " is closed");
    }
    JniUtils.setGraphExecutorOptimize(optimizeGraph);
    if (JacobianTrace.recording()) {
      return forwardRecorded(scope, signature, inputs);
    }
    IValue[] values = new IValue[inputs.length];
    try {
      for (int i = 0; i < inputs.length; i++) {
        values[i] = IValue.from((PtNDArray) inputs[i]);
      }
      try (IValue result = block.forward(values)) {
        if (!result.isTensor()) {
          throw new IllegalStateException(file + ": " + signature + " returned a "
              + result.getType() + ", expected one tensor");
        }
        return result.toTensor(scope);
      }
    } finally {
      for (IValue value : values) {
        if (value != null) {
          value.close();
        }
      }
    }
  }

  /** The forward with autograd on, so that a backward pass reaches the inputs. */
  private NDArray forwardRecorded(PtNDManager scope, String signature, NDArray... inputs) {
    NDList outputs = IValueUtils.forward(block, new NDList(inputs), true);
    if (outputs.size() != 1) {
      throw new IllegalStateException(file + ": " + signature + " returned " + outputs.size()
          + " tensors, expected one");
    }
    NDArray result = outputs.get(0);
    result.attach(scope);
    return result;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      djlModel.close();
    }
  }

  /**
   * The error without its traceback: TorchScript interpreter errors lead with the traceback and
   * end with the error itself, other libtorch errors are one line.
   */
  static String summary(EngineException e) {
    String message = String.valueOf(e.getMessage()).strip();
    return message.substring(message.lastIndexOf('\n') + 1);
  }
}
