#!/usr/bin/python3
"""Trains the small networks in src/test/resources/trained-elsewhere, as other ecosystems train them.

Three MLP denoisers learn the 2-D Gaussian mixture of make-convention-fixtures.py (MIXTURE), each
with the objective and convention of one ecosystem, and are saved with the scheduler config
that describes that convention:

  ddpm-epsilon  diffusers' DDPM recipe: t ~ U{0..999} on the linear-beta table, network(x_t, t)
                regresses the noise (DDPMScheduler)
  sd3-flow      SD3's rectified flow: s ~ logit-normal, x_s = (1 - s)*x0 + s*noise,
                network(x_s, 1000*s) regresses noise - x0 (FlowMatchEulerDiscreteScheduler,
                shift 3)
  edm-raw       Karras et al.'s preconditioned training: ln(sigma) ~ N(-1.2, 1.2^2), the raw F
                takes c_in*x and ln(sigma)/4 and D = c_skip*x + c_out*F regresses x0 with EDM's
                weighting (EDMEulerScheduler, epsilon)

ForeignConventionsTest samples each through Streamline and asks for an energy distance within 3x
of the data-vs-data floor. Seeded; on a 2-core CPU the three take under a minute each.

  /usr/bin/python3 models/src/test/scripts/train-convention-models.py
"""

import json
import math
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources",
                   "trained-elsewhere")
WEIGHTS = [0.2, 0.5, 0.3]
MEANS = [[-2.0, 0.0], [1.5, 1.0], [0.5, -1.5]]
STDS = [0.3, 0.5, 0.4]
N = 1000
SIGMA_DATA = 0.5
STEPS = 6000
BATCH = 512


def data(n, generator):
    k = torch.multinomial(torch.tensor(WEIGHTS), n, replacement=True, generator=generator)
    means = torch.tensor(MEANS)[k]
    stds = torch.tensor(STDS)[k][:, None]
    return means + stds * torch.randn(n, 2, generator=generator)


class Denoiser(nn.Module):
    """An MLP over x and Fourier features of the time input mapped to [0, 1] by (time - lo)/span."""

    def __init__(self, lo: float, span: float, hidden: int = 64):
        super().__init__()
        self.lo = lo
        self.span = span
        self.register_buffer("freqs", 2 * math.pi * torch.arange(1, 9, dtype=torch.float32))
        self.net = nn.Sequential(nn.Linear(2 + 17, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                 nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, 2))

    def forward(self, x, time):
        u = ((time - self.lo) / self.span)[:, None]
        features = torch.cat([u, torch.sin(u * self.freqs), torch.cos(u * self.freqs)], dim=1)
        return self.net(torch.cat([x, features], dim=1))


def train(model, loss_fn, seed):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, STEPS)
    for step in range(STEPS):
        loss = loss_fn(model, data(BATCH, generator), generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval(), float(loss)


alphas_cumprod = torch.cumprod(1 - torch.linspace(1e-4, 0.02, N, dtype=torch.float64), 0).float()


def ddpm_loss(model, x0, generator):
    t = torch.randint(0, N, (x0.shape[0],), generator=generator)
    a = alphas_cumprod[t][:, None]
    eps = torch.randn(x0.shape, generator=generator)
    return ((model(a.sqrt() * x0 + (1 - a).sqrt() * eps, t.float()) - eps) ** 2).mean()


def flow_loss(model, x0, generator):
    s = torch.sigmoid(torch.randn(x0.shape[0], generator=generator))[:, None]
    eps = torch.randn(x0.shape, generator=generator)
    return ((model((1 - s) * x0 + s * eps, N * s[:, 0]) - (eps - x0)) ** 2).mean()


def edm_loss(model, x0, generator):
    sigma = torch.exp(-1.2 + 1.2 * torch.randn(x0.shape[0], generator=generator))[:, None]
    x = x0 + sigma * torch.randn(x0.shape, generator=generator)
    norm = torch.sqrt(sigma ** 2 + SIGMA_DATA ** 2)
    c_skip = SIGMA_DATA ** 2 / norm ** 2
    c_out = sigma * SIGMA_DATA / norm
    # EDM's weighting makes the effective target of F of unit scale: (x0 - c_skip*x)/c_out.
    target = (x0 - c_skip * x) / c_out
    return ((model(x / norm, torch.log(sigma[:, 0]) / 4) - target) ** 2).mean()


def save(name, model, scheduler, loss):
    path = os.path.join(OUT, name)
    os.makedirs(path, exist_ok=True)
    torch.jit.save(torch.jit.script(model), os.path.join(path, "model.pt"))
    with open(os.path.join(path, "model.json"), "w") as f:
        json.dump({"id": name, "shape": [2], "architecture": {"type": "torchscript",
                                                             "weights": "model.pt"},
                   "scheduler": "scheduler_config.json"}, f, indent=2)
        f.write("\n")
    scheduler = dict(scheduler, _diffusers_version="0.31.0")
    with open(os.path.join(path, "scheduler_config.json"), "w") as f:
        json.dump(scheduler, f, indent=2)
        f.write("\n")
    print(f"{name}: final loss {loss:.4f}", flush=True)


def main():
    torch.set_num_threads(1)
    model, loss = train(Denoiser(0.0, N - 1.0), ddpm_loss, 1)
    save("ddpm-epsilon", model, {"_class_name": "DDPMScheduler", "num_train_timesteps": N,
                                 "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear",
                                 "prediction_type": "epsilon", "clip_sample": False}, loss)
    model, loss = train(Denoiser(0.0, float(N)), flow_loss, 2)
    save("sd3-flow", model, {"_class_name": "FlowMatchEulerDiscreteScheduler",
                             "num_train_timesteps": N, "shift": 3.0}, loss)
    model, loss = train(Denoiser(math.log(0.002) / 4, (math.log(80.0) - math.log(0.002)) / 4),
                        edm_loss, 3)
    save("edm-raw", model, {"_class_name": "EDMEulerScheduler", "sigma_min": 0.002,
                            "sigma_max": 80.0, "sigma_data": SIGMA_DATA,
                            "sigma_schedule": "karras", "prediction_type": "epsilon", "rho": 7.0},
         loss)


if __name__ == "__main__":
    main()
