#!/usr/bin/python3
"""Turns a PyTorch denoiser into a Streamline model directory.

  /usr/bin/python3 models/export/export_model.py --module my_pkg.my_module:make_model \\
      --scheduler path/to/scheduler_config.json --shape 4 32 32 --id my-model --out DIR \\
      [--classes a b c] [--trace] \\
      [--decoder my_pkg.vae:make_decoder --vae-config path/to/vae/config.json \\
       [--encoder my_pkg.vae:make_encoder]]

`make_model` is a zero-argument callable returning the nn.Module. Its forward is
forward(x, time) or, with --classes, forward(x, time, labels): x float32 [B, *shape], time
float32 [B] as the scheduler's convention defines it (the timestep for diffusers' discrete
schedulers, s*1000 for flow matching, ln(sigma)/4 for EDM), labels int64 [B] with
len(classes) meaning unconditional. The module is exported with torch.jit.script (or traced on
an example input with --trace), checked (the output has x's shape and is finite, and the saved
archive answers the same), and written with the scheduler config and a model.json into DIR,
which must be new or empty. Any problem prints one line and exits 2, leaving nothing behind.

A latent model (its network works on a VAE's latents) adds --decoder, a factory of the module
forward(z) that maps latents [B, *shape] to data (a VAE's decode, returning the tensor), and
--vae-config, the VAE's diffusers config.json whose scaling_factor and shift_factor go into
model.json: Streamline decodes decoder(latents / scaling_factor + shift_factor). --encoder, a
module forward(x) from data to the latent itself (its latent_dist.mode(), say), is optional.
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


def save_checked(module, inputs, trace, path, what):
    """Exports the module, saves it to path and checks the archive answers as the module does."""
    with torch.no_grad():
        expected = run(module, inputs, what)
        exported = torch.jit.trace(module, inputs) if trace else torch.jit.script(module)
    torch.jit.save(exported, path)
    with torch.no_grad():
        again = torch.jit.load(path)(*inputs)
    if not isinstance(again, torch.Tensor) or not torch.allclose(again, expected, rtol=1e-5,
                                                                  atol=1e-6):
        raise ExportError(f"the saved {what} answers differently from the module (a traced"
                          " module with data-dependent control flow? export with torch.jit.script)")
    return expected


def run(module, inputs, what):
    try:
        return module(*inputs)
    except Exception as e:
        shapes = ", ".join(str(tuple(i.shape)) for i in inputs)
        raise ExportError(f"the {what} fails on example inputs of shape {shapes}: "
                          f"{str(e).strip().splitlines()[-1]}")


def vae_scaling(vae_config):
    try:
        with open(vae_config) as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise ExportError(f"--vae-config {vae_config}: {e}")
    scaling = config.get("scaling_factor") if isinstance(config, dict) else None
    if not isinstance(scaling, (int, float)) or isinstance(scaling, bool) or scaling == 0:
        raise ExportError(f"--vae-config {vae_config} has no non-zero scaling_factor")
    shift = config.get("shift_factor")
    if shift is not None and (not isinstance(shift, (int, float)) or isinstance(shift, bool)):
        raise ExportError(f"--vae-config {vae_config}: shift_factor must be a number or null")
    return float(scaling), float(shift or 0.0)


def export_latent(decoder, encoder, shape, trace, staging):
    """Writes decoder.pt (and encoder.pt) into staging, checked on two latents."""
    z = torch.randn((2, *shape), generator=torch.Generator().manual_seed(1))
    data = save_checked(decoder().eval(), (z,), trace, os.path.join(staging, "decoder.pt"),
                        "decoder")
    if not isinstance(data, torch.Tensor) or data.dim() < 2 or data.shape[0] != 2:
        raise ExportError(f"the decoder returns {getattr(data, 'shape', type(data).__name__)}"
                          f" for latents of shape {tuple(z.shape)}; it must return one tensor"
                          " with a row per latent")
    if not bool(torch.isfinite(data).all()):
        raise ExportError("the decoder returns non-finite values on the example latents")
    if encoder is not None:
        back = save_checked(encoder().eval(), (data,), trace,
                            os.path.join(staging, "encoder.pt"), "encoder")
        if not isinstance(back, torch.Tensor) or back.shape != z.shape:
            raise ExportError(f"the encoder returns {getattr(back, 'shape', type(back).__name__)}"
                              f" for data of shape {tuple(data.shape)}; it must return latents"
                              f" of shape {tuple(z.shape)}")


def export(factory, scheduler, shape, model_id, out, classes=None, trace=False, decoder=None,
           encoder=None, vae_config=None):
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
    if (decoder is None) != (vae_config is None):
        raise ExportError("--decoder and --vae-config go together: the decoder's latents are"
                          " scaled by the VAE config's scaling_factor and shift_factor")
    if encoder is not None and decoder is None:
        raise ExportError("--encoder needs --decoder")
    scaling = vae_scaling(vae_config) if vae_config is not None else None
    module = factory().eval()
    inputs = example_inputs(shape, classes)
    with torch.no_grad():
        check_output(run(module, inputs, "module"), inputs[0], "the module")
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix="." + os.path.basename(out) + "-", dir=parent)
    try:
        save_checked(module, inputs, trace, os.path.join(staging, "model.pt"), "archive")
        shutil.copyfile(scheduler, os.path.join(staging, "scheduler_config.json"))
        manifest = {"id": model_id, "shape": list(shape),
                    "architecture": {"type": "torchscript", "weights": "model.pt"},
                    "scheduler": "scheduler_config.json"}
        if classes:
            manifest["classes"] = list(classes)
        if decoder is not None:
            export_latent(decoder, encoder, shape, trace, staging)
            manifest["decoder"] = "decoder.pt"
            if encoder is not None:
                manifest["encoder"] = "encoder.pt"
            manifest["scaling_factor"], manifest["shift_factor"] = scaling
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
    parser.add_argument("--decoder", help="package.module:factory of a latent model's decoder")
    parser.add_argument("--encoder", help="package.module:factory of its encoder")
    parser.add_argument("--vae-config", help="the VAE's diffusers config.json (scaling_factor)")
    args = parser.parse_args(argv)
    try:
        export(load_factory(args.module), args.scheduler, args.shape, args.id, args.out,
               args.classes, args.trace,
               load_factory(args.decoder) if args.decoder else None,
               load_factory(args.encoder) if args.encoder else None, args.vae_config)
    except ExportError as e:
        print(f"export_model: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
