#!/usr/bin/python3
"""Rebuilds the TorchScript fixtures in src/test/resources/torchscript.

Two tiny 2D velocity fields with fixed random weights, exported the two ways users export, and a
broken one:

  velocity-mlp.pt       traced   forward(x, t)     unconditional
  velocity-mlp-cond.pt  scripted forward(x, t, y)  CLASSES classes plus a null class at index
                                                   CLASSES, the one Model.NULL_LABEL maps to
  first-coordinate.pt   scripted forward(x, t)     returns x[:, :1], not shaped like x

and reference.json with inputs and the outputs of the saved-then-reloaded modules, written with
full float precision so the Java side can compare to 1e-5. The conditional references list the
labels as the Java API takes them (-1 for the null class) and were computed with y = CLASSES for
those rows.

Rerun with Debian's torch, not a pyenv interpreter (apt-get install python3-torch):

  /usr/bin/python3 models/src/test/scripts/make-torchscript-fixture.py

The archives' debug info records source paths and line numbers (this script's and torch's), so
reruns give byte-identical files only for the same checkout path, script and torch; reference.json
depends on the seed and torch alone.
"""

import json
import math
import os
import sys

import torch
from torch import nn

SEED = 20240611
DIM = 2
HIDDEN = 32
EMBED = 16
CLASSES = 3

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "torchscript")


class SinusoidalTime(nn.Module):
    """sin/cos of t at geometric frequencies 1..1000, the usual diffusion time embedding."""

    def __init__(self, size: int):
        super().__init__()
        half = size // 2
        self.register_buffer("freqs", torch.exp(torch.linspace(0.0, math.log(1000.0), half)))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        angles = t[:, None] * self.freqs[None, :]
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


def trunk() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(DIM + EMBED, HIDDEN), nn.SiLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.SiLU(),
        nn.Linear(HIDDEN, DIM))


class VelocityMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.time = SinusoidalTime(EMBED)
        self.net = trunk()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, self.time(t)], dim=1))


class ConditionalVelocityMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.time = SinusoidalTime(EMBED)
        self.label = nn.Embedding(CLASSES + 1, EMBED)
        self.net = trunk()

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, self.time(t) + self.label(y)], dim=1))


class FirstCoordinate(nn.Module):
    """A field of the wrong shape, for the loader's output check."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return x[:, :1] * t[:, None]


class Detached(nn.Module):
    """A field that cuts its output off the graph: it has no Jacobian to trace."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return (x * t[:, None]).detach()


def floats(tensor: torch.Tensor) -> list:
    # float32 -> Python float is exact, and json writes the shortest repr that round-trips.
    return [float(v) for v in tensor.reshape(-1).tolist()]


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # torch.jit.script writes a module's constants in set order, which follows string hashing.
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, PYTHONHASHSEED="0"))
    torch.manual_seed(SEED)
    os.makedirs(OUT, exist_ok=True)
    unconditional = VelocityMlp().eval()
    conditional = ConditionalVelocityMlp().eval()

    x = torch.randn(6, DIM)
    t = torch.tensor([0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    # Rows 3 and 4 repeat rows 0 and 1 with the null label, so a test can tell the classes apart.
    labels = [0, 1, 2, -1, -1, 2]
    x[3], x[4] = x[0], x[1]
    t[3], t[4] = t[0], t[1]
    y = torch.tensor([CLASSES if label == -1 else label for label in labels], dtype=torch.int64)

    files = {"unconditional": "velocity-mlp.pt", "conditional": "velocity-mlp-cond.pt"}
    with torch.no_grad():
        traced = torch.jit.trace(unconditional, (x, t))
        scripted = torch.jit.script(conditional)
        torch.jit.save(traced, os.path.join(OUT, files["unconditional"]))
        torch.jit.save(scripted, os.path.join(OUT, files["conditional"]))
        torch.jit.save(torch.jit.script(FirstCoordinate()), os.path.join(OUT, "first-coordinate.pt"))
        torch.jit.save(torch.jit.script(Detached()), os.path.join(OUT, "detached.pt"))
        # References come from the archives as saved, which is what the Java side loads.
        u = torch.jit.load(os.path.join(OUT, files["unconditional"]))(x, t)
        c = torch.jit.load(os.path.join(OUT, files["conditional"]))(x, t, y)
        assert torch.allclose(u, unconditional(x, t))
        assert torch.allclose(c, conditional(x, t, y))

    reference = {
        "torch": torch.__version__,
        "seed": SEED,
        "dim": DIM,
        "batch": x.shape[0],
        "x": floats(x),
        "t": floats(t),
        "unconditional": {"file": files["unconditional"], "output": floats(u)},
        "conditional": {
            "file": files["conditional"],
            "classCount": CLASSES,
            "nullClass": CLASSES,
            "labels": labels,
            "output": floats(c),
        },
    }
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):8d}  {name}")


if __name__ == "__main__":
    main()
