"""Multinomial logistic regression in numpy: the discriminative half of the matcher.

Similarity to the examples says *whether* a message looks like anything we know; a classifier
trained on all the examples at once says *which* label wins when several are close, because it
learns the dimensions that separate them. Full-batch Adam from zero weights: deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]


def softmax(logits: npt.NDArray[Any]) -> Array:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    out: Array = (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)
    return out


@dataclass(frozen=True)
class SoftmaxRegression:
    weights: Array
    bias: Array
    scale: float

    @classmethod
    def train(
        cls,
        features: Array,
        labels: npt.NDArray[np.intp],
        *,
        n_labels: int,
        scale: float = 5.0,
        l2: float = 1e-4,
        steps: int = 100,
        learning_rate: float = 0.3,
    ) -> SoftmaxRegression:
        """Fit on ``features`` (one unit-length row per example) and integer ``labels``."""
        x = features * np.float32(scale)
        n, dim = x.shape
        onehot = np.eye(n_labels, dtype=np.float32)[labels]
        w = np.zeros((dim, n_labels), dtype=np.float32)
        b = np.zeros(n_labels, dtype=np.float32)
        moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
        beta1, beta2 = 0.9, 0.999
        for step in range(1, steps + 1):
            grad = (softmax(x @ w + b) - onehot) / n
            grads = (x.T @ grad + np.float32(l2) * w, grad.sum(axis=0))
            for param, g, m, v in ((w, grads[0], *moments[:2]), (b, grads[1], *moments[2:])):
                m *= beta1
                m += (1 - beta1) * g
                v *= beta2
                v += (1 - beta2) * g * g
                m_hat = m / (1 - beta1**step)
                v_hat = v / (1 - beta2**step)
                param -= np.float32(learning_rate) * m_hat / (np.sqrt(v_hat) + np.float32(1e-8))
        return cls(weights=w, bias=b, scale=scale)

    def probabilities(self, features: Array) -> Array:
        return softmax((features * np.float32(self.scale)) @ self.weights + self.bias)
