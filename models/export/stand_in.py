"""Stand-in denoisers for trying and testing export_model.py (not models of anything)."""

import torch
from torch import nn


class Unconditional(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.5))

    def forward(self, x, time):
        t = time.reshape([-1] + [1] * (x.dim() - 1))
        return self.scale * x * torch.cos(t / 1000.0)


class Conditional(nn.Module):
    def __init__(self, classes: int = 3):
        super().__init__()
        self.shift = nn.Embedding(classes + 1, 1)

    def forward(self, x, time, labels):
        offset = self.shift(labels).reshape([-1] + [1] * (x.dim() - 1))
        return x * 0.1 + offset + time.reshape([-1] + [1] * (x.dim() - 1)) * 0.0


class WrongShape(nn.Module):
    def forward(self, x, time):
        return x.flatten(1)[:, :1]


class Decoder(nn.Module):
    """Latents [B, 4, 2, 2] to images [B, 3, 4, 4]: a 1x1 convolution, then 2x upsampling."""

    def __init__(self):
        super().__init__()
        self.mix = nn.Conv2d(4, 3, 1)

    def forward(self, z):
        return torch.repeat_interleave(torch.repeat_interleave(self.mix(z), 2, dim=2), 2, dim=3)


class Encoder(nn.Module):
    """Images [B, 3, 4, 4] to latents [B, 4, 2, 2]."""

    def __init__(self):
        super().__init__()
        self.mix = nn.Conv2d(3, 4, 2, stride=2)

    def forward(self, x):
        return self.mix(x)


def decoder():
    torch.manual_seed(0)
    return Decoder()


def encoder():
    torch.manual_seed(0)
    return Encoder()


def unconditional():
    torch.manual_seed(0)
    return Unconditional()


def conditional():
    torch.manual_seed(0)
    return Conditional()


def wrong_shape():
    return WrongShape()
