"""E1 ``curves``: named closed-form 1-D functions evaluated on one shared axis.

A plate built on this engine names an axis and a list of functions from :data:`FUNCTIONS`, each
with its own parameters; the recipe evaluates the exact formulas and nothing else, so its plates
are ``closed-form``.  The table covers the families that keep coming back across the archive:

* learning-rate schedules (``x`` = training step): ``constant``, ``step-decay``, ``exponential``,
  ``cosine``, ``cosine-restarts`` (SGDR), ``linear-warmup``, ``warmup-cosine``, ``warmup-step``, ``inverse-sqrt``
  (the Transformer schedule), ``polynomial``, ``triangular`` (cyclical), ``one-cycle`` and
  ``one-cycle-momentum``;
* optimiser quantities: ``adam-bias`` (1 - beta^t), ``adam-uncorrected-step``, ``ema-weight``, ``rate-gd`` /
  ``rate-heavy-ball`` / ``rate-nesterov`` (per-step contraction on a quadratic of condition number
  ``x``) and ``iters-gd`` / ``iters-heavy-ball`` / ``iters-nesterov`` (steps to shrink the error by
  ``tol``), ``newton-schulz`` (the odd polynomial iteration that orthogonalises a matrix, applied to
  one singular value ``x``);
* activations (``x`` = pre-activation): ``relu``, ``leaky-relu``, ``elu``, ``selu``, ``gelu``,
  ``gelu-tanh``, ``silu``, ``softplus``, ``sigmoid``, ``tanh``, ``mish``, ``hard-tanh``,
  ``hard-sigmoid``, ``relu6``, ``identity``, ``step``;
* losses (``x`` = margin y f(x) or residual): ``squared``, ``absolute``, ``huber``, ``log-cosh``,
  ``hinge``, ``squared-hinge``, ``logistic``, ``exponential-loss``, ``zero-one``, ``pinball``,
  ``focal`` (``x`` = probability of the true class), ``cross-entropy`` (same ``x``);
* penalties and proximal maps (``x`` = a weight): ``l1``, ``l2``, ``elastic-net``, ``scad``,
  ``mcp``, ``soft-threshold``, ``hard-threshold``;
* kernels and densities (``x`` = distance or value): ``rbf``, ``laplacian``, ``matern32``,
  ``matern52``, ``rational-quadratic``, ``gaussian-pdf``, ``laplace-pdf``, ``student-t-pdf``,
  ``cauchy-pdf``, ``binary-entropy``, ``kl-bernoulli``;
* tail bounds (``x`` = deviation t): ``hoeffding``, ``chebyshev``, ``gaussian-tail``.

Each output array is named by its ``key``; ``<key>_grad`` (central differences on the same grid)
is added when ``derivative = true``, and ``<key>_at`` (the function's value at ``at``) when
``at`` is given, so a plate's notes and claims can quote a worked point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

F = np.ndarray


@dataclass(frozen=True)
class Fn:
    """One named closed form: the formula, its parameters (default, low, high) and what it is."""

    func: Callable[..., F]
    params: dict[str, tuple[float, float, float]]
    doc: str


FUNCTIONS: dict[str, Fn] = {}


def _fn(name: str, doc: str, **params: tuple[float, float, float]) -> Callable[[Callable[..., F]], Callable[..., F]]:
    def record(func: Callable[..., F]) -> Callable[..., F]:
        FUNCTIONS[name] = Fn(func, params, doc)
        return func

    return record


def _erf(x: F) -> F:
    """Vectorised error function (math.erf is exact to double precision)."""
    return np.vectorize(math.erf, otypes=[float])(x)


def _sigmoid(x: F) -> F:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# -- learning-rate schedules (x = step) ------------------------------------------------------------

_LR = (0.1, 0.0, 100.0)
_T = (100.0, 1.0, 1e7)


@_fn("constant", "lr", lr=_LR)
def _constant(x: F, lr: float) -> F:
    return np.full_like(x, lr)


@_fn("step-decay", "lr * gamma ** floor(x / every)", lr=_LR, gamma=(0.1, 0.0, 1.0), every=(30.0, 1.0, 1e7))
def _step_decay(x: F, lr: float, gamma: float, every: float) -> F:
    return lr * gamma ** np.floor(x / every)


@_fn("exponential", "lr * gamma ** x", lr=_LR, gamma=(0.99, 0.0, 1.0))
def _exponential(x: F, lr: float, gamma: float) -> F:
    return lr * gamma**x


@_fn("cosine", "lr_min + (lr - lr_min) (1 + cos(pi x / total)) / 2, held at lr_min after total",
     lr=_LR, lr_min=(0.0, 0.0, 100.0), total=_T)
def _cosine(x: F, lr: float, lr_min: float, total: float) -> F:
    t = np.clip(x / total, 0.0, 1.0)
    return lr_min + (lr - lr_min) * 0.5 * (1 + np.cos(math.pi * t))


def _sgdr_phase(x: F, period: float, mult: float) -> tuple[F, F]:
    """Position inside the current SGDR cycle and that cycle's length (Loshchilov & Hutter)."""
    x = np.asarray(x, float)
    if mult == 1.0:
        return np.mod(x, period), np.full_like(x, period)
    i = np.floor(np.log(x / period * (mult - 1) + 1) / math.log(mult))
    start = period * (mult**i - 1) / (mult - 1)
    return x - start, period * mult**i


@_fn("cosine-restarts", "SGDR: cosine from lr to lr_min over cycles of period, period * mult, ...",
     lr=_LR, lr_min=(0.0, 0.0, 100.0), period=(10.0, 1.0, 1e6), mult=(1.0, 1.0, 4.0))
def _cosine_restarts(x: F, lr: float, lr_min: float, period: float, mult: float) -> F:
    t_cur, t_i = _sgdr_phase(x, period, mult)
    return lr_min + (lr - lr_min) * 0.5 * (1 + np.cos(math.pi * t_cur / t_i))


@_fn("linear-warmup", "lr x / warmup up to warmup, then lr (then linear decay to 0 at total if total > 0)",
     lr=_LR, warmup=(10.0, 1.0, 1e6), total=(0.0, 0.0, 1e7))
def _linear_warmup(x: F, lr: float, warmup: float, total: float) -> F:
    up = lr * np.minimum(x / warmup, 1.0)
    if total > warmup:
        return np.where(x <= warmup, up, lr * np.clip((total - x) / (total - warmup), 0.0, 1.0))
    return up


@_fn("warmup-cosine", "linear warmup to lr over warmup steps, then cosine to lr_min at total",
     lr=_LR, lr_min=(0.0, 0.0, 100.0), warmup=(10.0, 1.0, 1e6), total=_T)
def _warmup_cosine(x: F, lr: float, lr_min: float, warmup: float, total: float) -> F:
    t = np.clip((x - warmup) / max(total - warmup, 1e-12), 0.0, 1.0)
    down = lr_min + (lr - lr_min) * 0.5 * (1 + np.cos(math.pi * t))
    return np.where(x < warmup, lr * x / warmup, down)


@_fn("warmup-step", "Goyal et al.: from lr_start to lr over warmup steps (linearly if ramp = 1, held at "
     "lr_start then jumping if ramp = 0), then lr divided by 10 at each milestone m1 < m2 < m3 (0 = none)",
     lr=_LR, lr_start=(0.01, 0.0, 100.0), warmup=(5.0, 1.0, 1e6), ramp=(1.0, 0.0, 1.0),
     m1=(30.0, 0.0, 1e7), m2=(60.0, 0.0, 1e7), m3=(80.0, 0.0, 1e7))
def _warmup_step(x: F, lr: float, lr_start: float, warmup: float, ramp: float, m1: float, m2: float,
                 m3: float) -> F:
    frac = np.clip(x / warmup, 0.0, 1.0) if ramp >= 0.5 else np.zeros_like(x)
    up = lr_start + (lr - lr_start) * frac
    drops = sum((x >= m).astype(float) for m in (m1, m2, m3) if m > 0)
    return np.where(x < warmup, up, lr * 0.1**drops)


@_fn("inverse-sqrt", "Transformer schedule: scale * d_model^-1/2 * min(x^-1/2, x warmup^-3/2)",
     scale=(1.0, 0.0, 100.0), d_model=(512.0, 1.0, 1e5), warmup=(4000.0, 1.0, 1e7))
def _inverse_sqrt(x: F, scale: float, d_model: float, warmup: float) -> F:
    s = np.maximum(x, 1e-12)
    return scale * d_model**-0.5 * np.minimum(s**-0.5, s * warmup**-1.5)


@_fn("polynomial", "lr_min + (lr - lr_min) (1 - x / total)^power", lr=_LR,
     lr_min=(0.0, 0.0, 100.0), total=_T, power=(1.0, 0.0, 10.0))
def _polynomial(x: F, lr: float, lr_min: float, total: float, power: float) -> F:
    return lr_min + (lr - lr_min) * np.clip(1 - x / total, 0.0, 1.0) ** power


@_fn("triangular", "cyclical lr: linear between lr_min and lr over half-cycles of length half",
     lr=_LR, lr_min=(0.0, 0.0, 100.0), half=(10.0, 1.0, 1e6))
def _triangular(x: F, lr: float, lr_min: float, half: float) -> F:
    cyc = np.floor(1 + x / (2 * half))
    pos = np.abs(x / half - 2 * cyc + 1)
    return lr_min + (lr - lr_min) * np.maximum(0.0, 1 - pos)


def _one_cycle(x: F, lo: float, hi: float, total: float, final: float, pct: float) -> F:
    """Linear lo -> hi over pct of the run, hi -> lo over the same length, then lo -> final."""
    a = pct * total
    b = 2 * a
    up = lo + (hi - lo) * x / a
    down = hi - (hi - lo) * (x - a) / a
    tail = lo + (final - lo) * np.clip((x - b) / max(total - b, 1e-12), 0.0, 1.0)
    return np.where(x < a, up, np.where(x < b, down, tail))


@_fn("one-cycle", "Smith & Topin's one-cycle lr: lr/div up to lr, back down, then annihilated to lr/div/final_div",
     lr=_LR, div=(10.0, 1.0, 1e4), final_div=(100.0, 1.0, 1e6), total=_T, pct=(0.45, 0.05, 0.5))
def _one_cycle_lr(x: F, lr: float, div: float, final_div: float, total: float, pct: float) -> F:
    return _one_cycle(x, lr / div, lr, total, lr / div / final_div, pct)


@_fn("one-cycle-momentum", "the one-cycle momentum: m_max down to m_min while lr rises, back up, then held",
     m_max=(0.95, 0.0, 1.0), m_min=(0.85, 0.0, 1.0), total=_T, pct=(0.45, 0.05, 0.5))
def _one_cycle_mom(x: F, m_max: float, m_min: float, total: float, pct: float) -> F:
    return _one_cycle(x, m_max, m_min, total, m_max, pct)


# -- optimiser quantities ----------------------------------------------------------------------------


@_fn("adam-bias", "1 - beta^x: the weight an exponential average started at 0 has gathered after x steps",
     beta=(0.9, 0.0, 0.99999))
def _adam_bias(x: F, beta: float) -> F:
    return 1 - beta**x


@_fn("adam-uncorrected-step", "(1 - beta1^x) / sqrt(1 - beta2^x): Adam's step for a constant gradient "
     "without bias correction, relative to the corrected step", beta1=(0.9, 0.0, 0.99999),
     beta2=(0.999, 0.0, 0.99999))
def _adam_uncorrected(x: F, beta1: float, beta2: float) -> F:
    return (1 - beta1**x) / np.sqrt(1 - beta2**x)


@_fn("ema-weight", "(1 - beta) beta^x: the weight of a value x steps in the past in an exponential average",
     beta=(0.9, 0.0, 0.99999))
def _ema_weight(x: F, beta: float) -> F:
    return (1 - beta) * beta**x


@_fn("rate-gd", "(k - 1)/(k + 1): error contraction per step of GD with the best fixed step, condition number k = x")
def _rate_gd(x: F) -> F:
    return (x - 1) / (x + 1)


@_fn("rate-heavy-ball", "(sqrt k - 1)/(sqrt k + 1): Polyak's heavy ball with optimal step and momentum")
def _rate_hb(x: F) -> F:
    r = np.sqrt(x)
    return (r - 1) / (r + 1)


@_fn("rate-nesterov", "1 - 1/sqrt k: Nesterov's accelerated method on a k-conditioned strongly convex function")
def _rate_nesterov(x: F) -> F:
    return 1 - 1 / np.sqrt(x)


def _iters(rate: F, tol: float) -> F:
    with np.errstate(divide="ignore"):
        return np.where(rate > 0, math.log(tol) / np.log(np.maximum(rate, 1e-300)), 1.0)


@_fn("iters-gd", "log(tol) / log rate-gd: steps for GD to shrink the error by tol", tol=(1e-6, 1e-300, 0.5))
def _iters_gd(x: F, tol: float) -> F:
    return _iters(_rate_gd(x), tol)


@_fn("iters-heavy-ball", "log(tol) / log rate-heavy-ball", tol=(1e-6, 1e-300, 0.5))
def _iters_hb(x: F, tol: float) -> F:
    return _iters(_rate_hb(x), tol)


@_fn("iters-nesterov", "log(tol) / log rate-nesterov", tol=(1e-6, 1e-300, 0.5))
def _iters_nesterov(x: F, tol: float) -> F:
    return _iters(_rate_nesterov(x), tol)


@_fn("newton-schulz", "steps iterations of s -> a s + b s^3 + c s^5 on a singular value s = x "
     "(defaults: Muon's quintic coefficients)", a=(3.4445, -10.0, 10.0), b=(-4.775, -10.0, 10.0),
     c=(2.0315, -10.0, 10.0), steps=(5.0, 0.0, 50.0))
def _newton_schulz(x: F, a: float, b: float, c: float, steps: float) -> F:
    s = np.asarray(x, float).copy()
    for _ in range(int(round(steps))):
        s = np.clip(a * s + b * s**3 + c * s**5, -1e60, 1e60)  # diverging values saturate, never NaN
    return s


# -- activations ----------------------------------------------------------------------------------


@_fn("identity", "x")
def _identity(x: F) -> F:
    return np.asarray(x, float).copy()


@_fn("step", "Heaviside step: 1 for x > 0, else 0")
def _step(x: F) -> F:
    return (x > 0).astype(float)


@_fn("relu", "max(0, x)")
def _relu(x: F) -> F:
    return np.maximum(x, 0.0)


@_fn("leaky-relu", "x for x > 0, slope x otherwise", slope=(0.01, 0.0, 1.0))
def _leaky(x: F, slope: float) -> F:
    return np.where(x > 0, x, slope * x)


@_fn("elu", "x for x > 0, alpha (e^x - 1) otherwise", alpha=(1.0, 0.0, 10.0))
def _elu(x: F, alpha: float) -> F:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


_SELU_A, _SELU_L = 1.6732632423543772, 1.0507009873554805


@_fn("selu", "lambda * elu_alpha(x) with Klambauer et al.'s fixed alpha and lambda")
def _selu(x: F) -> F:
    return _SELU_L * _elu(x, _SELU_A)


@_fn("gelu", "x Phi(x), Phi the standard normal CDF (exact, via erf)")
def _gelu(x: F) -> F:
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


@_fn("gelu-tanh", "the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))")
def _gelu_tanh(x: F) -> F:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


@_fn("silu", "x sigmoid(beta x) (SiLU / swish)", beta=(1.0, 0.0, 100.0))
def _silu(x: F, beta: float) -> F:
    return x * _sigmoid(beta * x)


@_fn("softplus", "log(1 + e^(beta x)) / beta", beta=(1.0, 0.01, 100.0))
def _softplus(x: F, beta: float) -> F:
    return np.logaddexp(0.0, beta * x) / beta


@_fn("sigmoid", "1 / (1 + e^-x)")
def _sigmoid_fn(x: F) -> F:
    return _sigmoid(x)


@_fn("tanh", "tanh x")
def _tanh(x: F) -> F:
    return np.tanh(x)


@_fn("mish", "x tanh(softplus x)")
def _mish(x: F) -> F:
    return x * np.tanh(np.logaddexp(0.0, x))


@_fn("hard-tanh", "clip(x, -1, 1)")
def _hard_tanh(x: F) -> F:
    return np.clip(x, -1.0, 1.0)


@_fn("hard-sigmoid", "clip(x / 6 + 1/2, 0, 1)")
def _hard_sigmoid(x: F) -> F:
    return np.clip(x / 6 + 0.5, 0.0, 1.0)


@_fn("relu6", "min(max(0, x), 6)")
def _relu6(x: F) -> F:
    return np.clip(x, 0.0, 6.0)


# -- losses (x = margin or residual) --------------------------------------------------------------


@_fn("squared", "x^2 / 2")
def _squared(x: F) -> F:
    return 0.5 * x**2


@_fn("absolute", "|x|")
def _absolute(x: F) -> F:
    return np.abs(x)


@_fn("huber", "x^2 / 2 for |x| <= delta, delta (|x| - delta / 2) beyond", delta=(1.0, 1e-6, 100.0))
def _huber(x: F, delta: float) -> F:
    a = np.abs(x)
    return np.where(a <= delta, 0.5 * x**2, delta * (a - 0.5 * delta))


@_fn("log-cosh", "log cosh x, computed stably")
def _log_cosh(x: F) -> F:
    a = np.abs(x)
    return a + np.log1p(np.exp(-2 * a)) - math.log(2)


@_fn("hinge", "max(0, 1 - x), x the margin")
def _hinge(x: F) -> F:
    return np.maximum(0.0, 1 - x)


@_fn("squared-hinge", "max(0, 1 - x)^2")
def _sq_hinge(x: F) -> F:
    return np.maximum(0.0, 1 - x) ** 2


@_fn("logistic", "log(1 + e^-x) / scale, x the margin (scale = log 2 makes it 1 at x = 0)",
     scale=(1.0, 1e-6, 100.0))
def _logistic(x: F, scale: float) -> F:
    return np.logaddexp(0.0, -x) / scale


@_fn("exponential-loss", "e^-x (AdaBoost's loss)")
def _exp_loss(x: F) -> F:
    return np.exp(-x)


@_fn("zero-one", "1 where the margin x <= 0, else 0")
def _zero_one(x: F) -> F:
    return (x <= 0).astype(float)


@_fn("pinball", "quantile loss: tau x for x >= 0, (tau - 1) x otherwise", tau=(0.5, 0.0, 1.0))
def _pinball(x: F, tau: float) -> F:
    return np.where(x >= 0, tau * x, (tau - 1) * x)


@_fn("cross-entropy", "-log p, x = p the probability given to the true class")
def _xent(x: F) -> F:
    return -np.log(np.clip(x, 1e-300, None))


@_fn("focal", "-(1 - p)^gamma log p, x = p (Lin et al.'s focal loss)", gamma=(2.0, 0.0, 10.0))
def _focal(x: F, gamma: float) -> F:
    p = np.clip(x, 1e-300, 1.0)
    return -((1 - p) ** gamma) * np.log(p)


# -- penalties and proximal maps -------------------------------------------------------------------


@_fn("l1", "lam |x|", lam=(1.0, 0.0, 100.0))
def _l1(x: F, lam: float) -> F:
    return lam * np.abs(x)


@_fn("l2", "lam x^2 / 2", lam=(1.0, 0.0, 100.0))
def _l2(x: F, lam: float) -> F:
    return 0.5 * lam * x**2


@_fn("elastic-net", "lam (alpha |x| + (1 - alpha) x^2 / 2)", lam=(1.0, 0.0, 100.0), alpha=(0.5, 0.0, 1.0))
def _enet(x: F, lam: float, alpha: float) -> F:
    return lam * (alpha * np.abs(x) + (1 - alpha) * 0.5 * x**2)


@_fn("scad", "Fan & Li's SCAD penalty with threshold lam and shape a", lam=(1.0, 1e-6, 100.0), a=(3.7, 2.0001, 100.0))
def _scad(x: F, lam: float, a: float) -> F:
    t = np.abs(x)
    mid = (2 * a * lam * t - t**2 - lam**2) / (2 * (a - 1))
    return np.where(t <= lam, lam * t, np.where(t <= a * lam, mid, lam**2 * (a + 1) / 2))


@_fn("mcp", "Zhang's minimax concave penalty", lam=(1.0, 1e-6, 100.0), gamma=(3.0, 1.0001, 100.0))
def _mcp(x: F, lam: float, gamma: float) -> F:
    t = np.abs(x)
    return np.where(t <= gamma * lam, lam * t - t**2 / (2 * gamma), gamma * lam**2 / 2)


@_fn("soft-threshold", "sign(x) max(|x| - lam, 0): the proximal map of lam |x|", lam=(1.0, 0.0, 100.0))
def _soft(x: F, lam: float) -> F:
    return np.sign(x) * np.maximum(np.abs(x) - lam, 0.0)


@_fn("hard-threshold", "x where |x| > lam, else 0", lam=(1.0, 0.0, 100.0))
def _hard(x: F, lam: float) -> F:
    return np.where(np.abs(x) > lam, x, 0.0)


# -- kernels, densities, divergences ---------------------------------------------------------------

_ELL = (1.0, 1e-6, 1e6)


@_fn("rbf", "exp(-x^2 / (2 ell^2))", ell=_ELL)
def _rbf(x: F, ell: float) -> F:
    return np.exp(-(x**2) / (2 * ell**2))


@_fn("laplacian", "exp(-|x| / ell)", ell=_ELL)
def _laplacian(x: F, ell: float) -> F:
    return np.exp(-np.abs(x) / ell)


@_fn("matern32", "(1 + sqrt3 r/ell) exp(-sqrt3 r/ell)", ell=_ELL)
def _matern32(x: F, ell: float) -> F:
    r = math.sqrt(3) * np.abs(x) / ell
    return (1 + r) * np.exp(-r)


@_fn("matern52", "(1 + sqrt5 r/ell + 5 r^2 / (3 ell^2)) exp(-sqrt5 r/ell)", ell=_ELL)
def _matern52(x: F, ell: float) -> F:
    r = math.sqrt(5) * np.abs(x) / ell
    return (1 + r + r**2 / 3) * np.exp(-r)


@_fn("rational-quadratic", "(1 + x^2 / (2 alpha ell^2))^-alpha", ell=_ELL, alpha=(1.0, 1e-6, 1e6))
def _rq(x: F, ell: float, alpha: float) -> F:
    return (1 + x**2 / (2 * alpha * ell**2)) ** -alpha


@_fn("gaussian-pdf", "normal density with mean mu and std sigma", mu=(0.0, -1e6, 1e6), sigma=(1.0, 1e-9, 1e6))
def _gauss(x: F, mu: float, sigma: float) -> F:
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


@_fn("laplace-pdf", "Laplace density exp(-|x - mu| / b) / 2b", mu=(0.0, -1e6, 1e6), b=(1.0, 1e-9, 1e6))
def _laplace(x: F, mu: float, b: float) -> F:
    return np.exp(-np.abs(x - mu) / b) / (2 * b)


@_fn("student-t-pdf", "Student-t density with nu degrees of freedom", nu=(3.0, 0.01, 1e6))
def _student(x: F, nu: float) -> F:
    c = math.exp(math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2)) / math.sqrt(nu * math.pi)
    return c * (1 + x**2 / nu) ** (-(nu + 1) / 2)


@_fn("cauchy-pdf", "Cauchy density 1 / (pi gamma (1 + (x/gamma)^2))", gamma=(1.0, 1e-9, 1e6))
def _cauchy(x: F, gamma: float) -> F:
    return 1 / (math.pi * gamma * (1 + (x / gamma) ** 2))


def _xlogy(a: F, b: F) -> F:
    return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / np.where(b > 0, b, 1.0)), 0.0)


@_fn("binary-entropy", "-x log2 x - (1 - x) log2 (1 - x), in bits")
def _h2(x: F) -> F:
    p = np.clip(x, 0.0, 1.0)
    return -(_xlogy(p, np.ones_like(p)) + _xlogy(1 - p, np.ones_like(p))) / math.log(2)


@_fn("kl-bernoulli", "KL(Bern(x) || Bern(q)) in nats", q=(0.5, 1e-9, 1 - 1e-9))
def _kl_bern(x: F, q: float) -> F:
    p = np.clip(x, 0.0, 1.0)
    return _xlogy(p, np.full_like(p, q)) + _xlogy(1 - p, np.full_like(p, 1 - q))


# -- tail bounds (x = deviation t) -------------------------------------------------------------------


@_fn("hoeffding", "2 exp(-2 n t^2): Hoeffding's two-sided bound for the mean of n variables in [0, 1]",
     n=(100.0, 1.0, 1e9))
def _hoeffding(x: F, n: float) -> F:
    return np.minimum(1.0, 2 * np.exp(-2 * n * x**2))


@_fn("chebyshev", "sigma^2 / (n t^2): Chebyshev's bound for the mean of n variables of variance sigma^2",
     n=(100.0, 1.0, 1e9), sigma=(0.5, 1e-9, 1e6))
def _chebyshev(x: F, n: float, sigma: float) -> F:
    with np.errstate(divide="ignore"):
        return np.minimum(1.0, sigma**2 / (n * np.asarray(x, float) ** 2))


@_fn("gaussian-tail", "P(|Z| > t sqrt(n) / sigma) for a standard normal Z: the CLT's two-sided tail",
     n=(100.0, 1.0, 1e9), sigma=(0.5, 1e-9, 1e6))
def _gauss_tail(x: F, n: float, sigma: float) -> F:
    z = np.asarray(x, float) * math.sqrt(n) / sigma
    return 1 - _erf(z / math.sqrt(2))


FunctionName = str


class Curve(Params):
    """One function of the plate: the array it becomes, which formula, with which parameters."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="name of its output array")
    fn: str = Field(description="a name from the FUNCTIONS table")
    params: dict[str, float] = Field(default_factory=dict, description="overrides of the formula's defaults")
    scale: float = Field(1.0, ge=-1e6, le=1e6, description="multiplies the value (e.g. to normalise)")
    derivative: bool = Field(False, description="also output <key>_grad by central differences")
    at: float | None = Field(None, description="also output the scalar <key>_at, the value at this x")

    @model_validator(mode="after")
    def _check(self) -> Curve:
        if self.fn not in FUNCTIONS:
            msg = f"unknown function {self.fn!r}; known: {', '.join(sorted(FUNCTIONS))}"
            raise ValueError(msg)
        spec = FUNCTIONS[self.fn].params
        for name, value in self.params.items():
            if name not in spec:
                msg = f"{self.fn} has no parameter {name!r}; it takes: {', '.join(spec) or 'none'}"
                raise ValueError(msg)
            _, lo, hi = spec[name]
            if not (lo <= value <= hi) or not math.isfinite(value):
                msg = f"{self.fn}: {name} = {value} is outside [{lo}, {hi}]"
                raise ValueError(msg)
        return self


class CurvesParams(Params):
    """A shared axis and the closed forms evaluated on it."""

    x_min: float = Field(-4.0, ge=-1e9, le=1e9)
    x_max: float = Field(4.0, ge=-1e9, le=1e9)
    points: int = Field(801, ge=3, le=20001)
    x_log: bool = Field(False, description="geometric spacing (x_min must be > 0)")
    functions: tuple[Curve, ...] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _check(self) -> CurvesParams:
        if self.x_max <= self.x_min:
            msg = "x_max must be greater than x_min"
            raise ValueError(msg)
        if self.x_log and self.x_min <= 0:
            msg = "x_log needs x_min > 0"
            raise ValueError(msg)
        keys = [c.key for c in self.functions]
        if len(set(keys)) != len(keys) or "x" in keys:
            msg = f"function keys must be unique and not 'x', got {keys}"
            raise ValueError(msg)
        return self


def evaluate(curve: Curve, x: F) -> F:
    """The named formula with its defaults overridden by the curve's params, times its scale."""
    fn = FUNCTIONS[curve.fn]
    kwargs = {name: curve.params.get(name, default) for name, (default, _, _) in fn.params.items()}
    with np.errstate(over="ignore", invalid="ignore"):
        return curve.scale * np.asarray(fn.func(np.asarray(x, float), **kwargs), float)


@recipe("curves", CurvesParams)
def curves(p: CurvesParams, rng: np.random.Generator) -> Arrays:
    """Named closed-form 1-D functions on a shared axis ``x`` (no randomness is used).

    Arrays: ``x``; one array per function ``key``; ``<key>_grad`` (central differences) when
    ``derivative`` is set; the scalar ``<key>_at`` when ``at`` is set.
    """
    x = np.geomspace(p.x_min, p.x_max, p.points) if p.x_log else np.linspace(p.x_min, p.x_max, p.points)
    out: Arrays = {"x": x}
    for c in p.functions:
        y = evaluate(c, x)
        out[c.key] = y
        if c.derivative:
            out[f"{c.key}_grad"] = np.gradient(y, x)
        if c.at is not None:
            out[f"{c.key}_at"] = float(evaluate(c, np.array([c.at]))[0])
    return out
