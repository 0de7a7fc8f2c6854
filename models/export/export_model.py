#!/usr/bin/python3
"""Turns a PyTorch denoiser into a Streamline model directory.

  /usr/bin/python3 models/export/export_model.py --module my_pkg.my_module:make_model \\
      --scheduler path/to/scheduler_config.json --shape 4 32 32 --id my-model --out DIR \\
      [--classes a b c] [--trace]

`make_model` is a zero-argument callable returning the nn.Module. Its forward is
forward(x, time) or, with --classes, forward(x, time, labels): x float32 [B, *shape], time
float32 [B] as the scheduler's convention defines it (the timestep for diffusers' discrete
schedulers, s*1000 for flow matching, ln(sigma)/4 for EDM), labels int64 [B] with
len(classes) meaning unconditional. The module is exported with torch.jit.script (or traced on
an example input with --trace), checked (the output has x's shape and is finite, and the saved
archive answers the same), and written with the scheduler config and a model.json into DIR,
which must be new or empty. Any problem prints one line and exits 2, leaving nothing behind.
"""

import argparse
import importlib
import json
import os
import re
import shutil
import sys
import tempfile

import torch

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), os.getcwd()]


class ExportError(Exception):
    pass


def load_factory(spec):
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise ExportError(f"--module must be package.module:factory, got {spec!r}")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as e:
        raise ExportError(f"cannot import {spec}: {e}")


def example_inputs(shape, classes):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn((2, *shape), generator=generator)
    time = torch.tensor([0.25, 0.75])
    if classes:
        return x, time, torch.tensor([0, len(classes)], dtype=torch.int64)
    return x, time


def check_output(out, x, what):
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ExportError(f"{what} returns {got} for x of shape {tuple(x.shape)}; it must"
                          " return one tensor shaped like x")
    if not bool(torch.isfinite(out).all()):
        raise ExportError(f"{what} returns non-finite values on the example input")


def export(factory, scheduler, shape, model_id, out, classes=None, trace=False):
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", model_id):
        raise ExportError(f"--id must be lower-case letters, digits, '.' and '-', got {model_id!r}")
    try:
        with open(scheduler) as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise ExportError(f"--scheduler {scheduler}: {e}")
    if not isinstance(config, dict) or "_class_name" not in config:
        raise ExportError(f"--scheduler {scheduler} is not a diffusers scheduler config"
                          " (no _class_name)")
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise ExportError(f"--out {out} exists and is not an empty directory")
    module = factory().eval()
    inputs = example_inputs(shape, classes)
    with torch.no_grad():
        expected = module(*inputs)
        check_output(expected, inputs[0], "the module")
        exported = torch.jit.trace(module, inputs) if trace else torch.jit.script(module)
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix="." + os.path.basename(out) + "-", dir=parent)
    try:
        torch.jit.save(exported, os.path.join(staging, "model.pt"))
        with torch.no_grad():
            again = torch.jit.load(os.path.join(staging, "model.pt"))(*inputs)
        check_output(again, inputs[0], "the saved archive")
        if not torch.allclose(again, expected, rtol=1e-5, atol=1e-6):
            raise ExportError("the saved archive answers differently from the module (a traced"
                              " module with data-dependent control flow? export with torch.jit.script)")
        shutil.copyfile(scheduler, os.path.join(staging, "scheduler_config.json"))
        manifest = {"id": model_id, "shape": list(shape),
                    "architecture": {"type": "torchscript", "weights": "model.pt"},
                    "scheduler": "scheduler_config.json"}
        if classes:
            manifest["classes"] = list(classes)
        with open(os.path.join(staging, "model.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        os.chmod(staging, 0o755)
        if os.path.isdir(out):
            os.rmdir(out)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--module", required=True, help="package.module:factory")
    parser.add_argument("--scheduler", required=True, help="the diffusers scheduler_config.json")
    parser.add_argument("--shape", required=True, type=int, nargs="+", help="one sample's shape")
    parser.add_argument("--id", required=True, help="the model id")
    parser.add_argument("--out", required=True, help="the model directory to write")
    parser.add_argument("--classes", nargs="+", help="class names of a conditional model")
    parser.add_argument("--trace", action="store_true", help="torch.jit.trace instead of script")
    args = parser.parse_args(argv)
    try:
        export(load_factory(args.module), args.scheduler, args.shape, args.id, args.out,
               args.classes, args.trace)
    except ExportError as e:
        print(f"export_model: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
