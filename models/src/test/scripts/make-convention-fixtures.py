#!/usr/bin/python3
"""Rebuilds the fixtures in src/test/resources/conventions: networks in other ecosystems' conventions.

Every module computes, in closed form, the exact prediction of one 2-D Gaussian mixture (MIXTURE
below; ForeignConventionsTest builds the same one), each in the convention its directory names:

  vp-{linear,scaled,cos}-{epsilon,v,sample}  diffusers discrete-time VP schedulers: forward(x,
      timestep) with the timestep a float in [0, N-1]; between table entries the schedule is
      interpolated linearly in log sigma, sigma = sqrt((1 - alphas_cumprod)/alphas_cumprod), as
      k-diffusion's discrete-schedule wrapper does; output epsilon, v = a*eps - s*x0, or x0.
  vp-linear-epsilon-cond  the same, forward(x, timestep, labels): class k is component k, label 3
      (the number of classes) the whole mixture.
  flow-sd3  FlowMatchEulerDiscreteScheduler: x_s = (1 - s)*x0 + s*noise, timestep s*1000,
      output noise - x0.
  edm-raw-epsilon, edm-raw-v  the bare F of Karras et al. as diffusers' EDM schedulers drive it:
      input c_in*x, time ln(sigma)/4, D = c_skip*x + c_out*F (c_out negated for v_prediction).
  edm-precond  an NVlabs EDMPrecond export: forward(x, sigma) returns D(x; sigma); no scheduler.
  flow-sd3-latent  flow-sd3's network on latents, with SD3's VAE scaling (scaling_factor 1.5305,
      shift_factor 0.0609) and a linear decoder.pt to [3, 4, 4] images: decoded = A u + b with
      u = latents / scaling_factor + shift_factor, A[j] = 0.4 (cos 0.3j, sin 0.7j) and
      b[j] = 0.01 (j - 24) for j = 0..47 in row-major order; encoder.pt is A's pseudo-inverse,
      latents = (A+ (x - b) - shift_factor) * scaling_factor.

Each directory holds model.pt, model.json and (but edm-precond) scheduler_config.json; the schedule
tables are computed in float64 here and, independently, by the Java reader of the config.

  /usr/bin/python3 models/src/test/scripts/make-convention-fixtures.py
"""

import json
import math
import os
from typing import Tuple

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "conventions")
N = 1000
WEIGHTS = [0.2, 0.5, 0.3]
MEANS = [[-2.0, 0.0], [1.5, 1.0], [0.5, -1.5]]
STDS = [0.3, 0.5, 0.4]
SIGMA_DATA = 0.5


class Mixture(nn.Module):
    """E[x0 | x] for x = a*x0 + s*eps under the mixture, a and s one per row."""

    def __init__(self, weights, means, stds):
        super().__init__()
        self.register_buffer("log_w", torch.tensor(weights, dtype=torch.float64).log())
        self.register_buffer("mu", torch.tensor(means, dtype=torch.float64))
        self.register_buffer("var", torch.tensor(stds, dtype=torch.float64) ** 2)

    def with_eps(self, x, a, s, component: int = -1) -> Tuple[torch.Tensor, torch.Tensor]:
        """(E[x0 | x], E[eps | x]); per component x - a*E[x0] = diff*s²/var, so eps needs no 1/s."""
        a = a[:, None]
        s = s[:, None]
        var = a * a * self.var[None, :] + s * s                      # [B, K]
        diff = x[:, None, :] - a[:, :, None] * self.mu[None, :, :]   # [B, K, 2]
        log_p = self.log_w[None, :] - 0.5 * (diff ** 2).sum(-1) / var - torch.log(var)
        if component >= 0:
            log_p = torch.full_like(log_p, -1e300)
            log_p[:, component] = 0.0
        r = torch.softmax(log_p, dim=1)[:, :, None]
        x0 = self.mu[None, :, :] + (a * self.var[None, :] / var)[:, :, None] * diff
        eps = (s / var)[:, :, None] * diff
        return (r * x0).sum(1), (r * eps).sum(1)

    def forward(self, x, a, s, component: int = -1):
        return self.with_eps(x, a, s, component)[0]


class DiscreteVp(nn.Module):
    def __init__(self, log_sigmas, prediction: str):
        super().__init__()
        self.mixture = Mixture(WEIGHTS, MEANS, STDS)
        self.register_buffer("log_sigmas", log_sigmas)
        self.prediction = prediction
        self.n = N

    def coefficients(self, timestep):
        t = timestep.double().clamp(0, self.n - 1)
        lo = t.floor().clamp(max=self.n - 2).long()
        w = t - lo.double()
        log_sigma = (1 - w) * self.log_sigmas[lo] + w * self.log_sigmas[lo + 1]
        k = log_sigma.exp()
        a = 1 / torch.sqrt(1 + k * k)
        return a, k * a

    def output(self, x0, eps, a, s):
        if self.prediction == "epsilon":
            return eps
        if self.prediction == "v_prediction":
            return a[:, None] * eps - s[:, None] * x0
        return x0

    def forward(self, x, timestep):
        x = x.double()
        a, s = self.coefficients(timestep)
        x0, eps = self.mixture.with_eps(x, a, s)
        return self.output(x0, eps, a, s).float()


class DiscreteVpConditional(DiscreteVp):
    def forward(self, x, timestep, labels):
        x = x.double()
        a, s = self.coefficients(timestep)
        x0 = self.mixture(x, a, s)
        for k in range(3):
            rows = labels == k
            if bool(rows.any()):
                x0[rows] = self.mixture(x[rows], a[rows], s[rows], k)
        eps = (x - a[:, None] * x0) / s[:, None]
        return self.output(x0, eps, a, s).float()


class FlowSd3(nn.Module):
    def __init__(self):
        super().__init__()
        self.mixture = Mixture(WEIGHTS, MEANS, STDS)
        self.n = N

    def forward(self, x, timestep):
        x = x.double()
        s = timestep.double() / self.n
        x0, eps = self.mixture.with_eps(x, 1 - s, s)
        return (eps - x0).float()


class EdmRaw(nn.Module):
    def __init__(self, sign: float):
        super().__init__()
        self.mixture = Mixture(WEIGHTS, MEANS, STDS)
        self.sign = sign
        self.sigma_data = SIGMA_DATA

    def forward(self, x_in, c_noise):
        sigma = torch.exp(4 * c_noise.double())
        norm = torch.sqrt(sigma ** 2 + self.sigma_data ** 2)
        x = x_in.double() * norm[:, None]
        d = self.mixture(x, torch.ones_like(sigma), sigma)
        c_skip = self.sigma_data ** 2 / norm ** 2
        c_out = self.sign * sigma * self.sigma_data / norm
        return ((d - c_skip[:, None] * x) / c_out[:, None]).float()


class EdmPrecond(nn.Module):
    def __init__(self):
        super().__init__()
        self.mixture = Mixture(WEIGHTS, MEANS, STDS)

    def forward(self, x, sigma):
        sigma = sigma.double()
        return self.mixture(x.double(), torch.ones_like(sigma), sigma).float()


LATENT_SCALING = 1.5305
LATENT_SHIFT = 0.0609
DECODED = [3, 4, 4]


def decoder_map():
    j = torch.arange(48, dtype=torch.float64)
    a = 0.4 * torch.stack([torch.cos(0.3 * j), torch.sin(0.7 * j)], dim=1)
    return a, 0.01 * (j - 24)


class LinearDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        a, b = decoder_map()
        self.register_buffer("a", a)
        self.register_buffer("b", b)

    def forward(self, u):
        x = u.double() @ self.a.T + self.b
        return x.reshape(-1, 3, 4, 4).float()


class LinearEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        a, b = decoder_map()
        self.register_buffer("inverse", torch.linalg.pinv(a))
        self.register_buffer("b", b)

    def forward(self, x):
        return ((x.double().reshape(-1, 48) - self.b) @ self.inverse.T).float()


def betas(schedule: str, start: float, end: float):
    if schedule == "linear":
        return torch.linspace(start, end, N, dtype=torch.float64)
    if schedule == "scaled_linear":
        return torch.linspace(start ** 0.5, end ** 0.5, N, dtype=torch.float64) ** 2
    bar = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
    return torch.tensor([min(1 - bar((i + 1) / N) / bar(i / N), 0.999) for i in range(N)],
                        dtype=torch.float64)


def log_sigmas(schedule, start, end):
    alphas_cumprod = torch.cumprod(1 - betas(schedule, start, end), 0)
    return 0.5 * (torch.log1p(-alphas_cumprod) - torch.log(alphas_cumprod))


def write(name, module, manifest, scheduler=None, extra_modules=None):
    path = os.path.join(OUT, name)
    os.makedirs(path, exist_ok=True)
    torch.jit.save(torch.jit.script(module.eval()), os.path.join(path, "model.pt"))
    for file, extra in (extra_modules or {}).items():
        torch.jit.save(torch.jit.script(extra.eval()), os.path.join(path, file))
    with open(os.path.join(path, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    if scheduler is not None:
        with open(os.path.join(path, "scheduler_config.json"), "w") as f:
            json.dump(scheduler, f, indent=2)
            f.write("\n")


def manifest(name, **extra):
    out = {"id": name, "shape": [2], "architecture": {"type": "torchscript", "weights": "model.pt"}}
    out.update(extra)
    return out


VP = [
    ("vp-linear-epsilon", "DDIMScheduler", "linear", "epsilon", "leading", 1),
    ("vp-linear-v", "EulerDiscreteScheduler", "linear", "v_prediction", "trailing", 0),
    ("vp-linear-sample", "DPMSolverMultistepScheduler", "linear", "sample", "linspace", 0),
    ("vp-scaled-epsilon", "EulerDiscreteScheduler", "scaled_linear", "epsilon", "linspace", 0),
    ("vp-scaled-v", "DDIMScheduler", "scaled_linear", "v_prediction", "trailing", 0),
    ("vp-scaled-sample", "UniPCMultistepScheduler", "scaled_linear", "sample", "leading", 1),
    ("vp-cos-epsilon", "DPMSolverMultistepScheduler", "squaredcos_cap_v2", "epsilon", "trailing", 0),
    ("vp-cos-v", "HeunDiscreteScheduler", "squaredcos_cap_v2", "v_prediction", "linspace", 0),
    ("vp-cos-sample", "DDPMScheduler", "squaredcos_cap_v2", "sample", "leading", 1),
]
BETA_RANGE = {"linear": (0.0001, 0.02), "scaled_linear": (0.00085, 0.012),
              "squaredcos_cap_v2": (0.0001, 0.02)}


def vp_config(cls, schedule, prediction, spacing, offset):
    start, end = BETA_RANGE[schedule]
    config = {"_class_name": cls, "_diffusers_version": "0.31.0", "num_train_timesteps": N,
              "beta_start": start, "beta_end": end, "beta_schedule": schedule,
              "trained_betas": None, "prediction_type": prediction, "timestep_spacing": spacing,
              "steps_offset": offset, "clip_sample": False, "thresholding": False,
              "rescale_betas_zero_snr": False}
    if cls == "DDIMScheduler":
        config["set_alpha_to_one"] = True
    if cls == "DPMSolverMultistepScheduler":
        config.update({"solver_order": 2, "algorithm_type": "dpmsolver++"})
    return config


SD3_CONFIG = {"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.31.0",
              "num_train_timesteps": N, "shift": 3.0, "use_dynamic_shifting": False,
              "base_shift": 0.5, "max_shift": 1.15}


def main():
    for name, cls, schedule, prediction, spacing, offset in VP:
        table = log_sigmas(schedule, *BETA_RANGE[schedule])
        write(name, DiscreteVp(table, prediction), manifest(name, scheduler="scheduler_config.json"),
              vp_config(cls, schedule, prediction, spacing, offset))
    table = log_sigmas("linear", *BETA_RANGE["linear"])
    write("vp-linear-epsilon-cond", DiscreteVpConditional(table, "epsilon"),
          manifest("vp-linear-epsilon-cond", scheduler="scheduler_config.json",
                   classes=["left", "right", "bottom"]),
          vp_config("DDIMScheduler", "linear", "epsilon", "leading", 1))
    write("flow-sd3", FlowSd3(), manifest("flow-sd3", scheduler="scheduler_config.json"),
          SD3_CONFIG)
    for name, cls, prediction, sign in [("edm-raw-epsilon", "EDMEulerScheduler", "epsilon", 1.0),
                                        ("edm-raw-v", "EDMDPMSolverMultistepScheduler",
                                         "v_prediction", -1.0)]:
        write(name, EdmRaw(sign), manifest(name, scheduler="scheduler_config.json"),
              {"_class_name": cls, "_diffusers_version": "0.31.0", "sigma_min": 0.002,
               "sigma_max": 80.0, "sigma_data": SIGMA_DATA, "sigma_schedule": "karras",
               "num_train_timesteps": N, "prediction_type": prediction, "rho": 7.0})
    write("flow-sd3-latent", FlowSd3(),
          manifest("flow-sd3-latent", scheduler="scheduler_config.json", decoder="decoder.pt",
                   encoder="encoder.pt", scaling_factor=LATENT_SCALING,
                   shift_factor=LATENT_SHIFT),
          SD3_CONFIG, {"decoder.pt": LinearDecoder(), "encoder.pt": LinearEncoder()})
    write("edm-precond", EdmPrecond(),
          manifest("edm-precond", kind="diffusion",
                   process={"type": "edm", "sigmaMin": 0.002, "sigmaMax": 80.0},
                   parameterization="x0", timeInput="sigma"))


if __name__ == "__main__":
    main()
