"""Plane Couette and Fourier flow of the linearised Shakhov (S-model) kinetic equation between
diffuse walls: an independent, deterministic comparison for validation cases 54 and 55 (whose
reference is the published hard-sphere data of :mod:`_hardsphere`).

This is the model equation, not the Boltzmann equation of hard spheres: the S-model
(E. M. Shakhov, Fluid Dyn. 3, 95 (1968)) relaxes to a Maxwellian corrected by the heat flux so
that Pr = 2/3, with collision frequency nu = p / mu. Compared at the hard-sphere viscosity
(Couette) or conductivity (Fourier), it gives the same continuum limit and the same
free-molecular limit as hard spheres (both exact); in between it differs by up to ~1-2 %
(F. Sharipov & V. Seleznev, J. Phys. Chem. Ref. Data 27, 657 (1998), section 4, compare the
S-model and hard-sphere solutions; the slip coefficients differ by 3 %: 1.016 for the S-model
(= BGK, C. Cercignani's exact 1.01619) and 0.987 for hard spheres in units of
l = mu v0 / p (Ohwada, Sone & Aoki 1989, k_0 = 1.2540 in their units)).

Method (cf. Sharipov & Seleznev's discrete-velocity solutions, and Siewert's integral form):
the perturbation h of f = f_0 (1 + h), c = v / v0, v0 = sqrt(2 k T0 / m), positions in units of
the gap L (x in [-1/2, 1/2]), rarefaction delta = p L / (mu v0), reduces after integrating out
the velocity components along the walls to two functions Phi_k(x, c) of c = c_x obeying

    c dPhi_k / dx + delta Phi_k = delta sum_j A_kj(c) m_j(x),

with the moments m_j = pi^(-1/2) sum_k int B_jk(c) Phi_k e^(-c^2) dc and diffuse-wall inflow
data. Integrated along the characteristics, with the moments piecewise constant on N equal
cells (cell averages, the exponential kernels integrated exactly), this is a linear system for
the cell moments (Toeplitz blocks, one per c-node sum), solved directly (scipy.linalg.lstsq); c
by Gauss-Legendre in t with c = C t^2 (nodes cluster where the kernel is sharp, c -> 0).

* Couette (walls at -+1/2 moving with -+ U/2 along y): h = 2 c_y Phi_1 + ..., moments u = u_y /
  U and q = q_y / (p U); sigma = -P_xy v0 / (p U) (free molecular 1/sqrt(pi); continuum 1/delta).
* Fourier (walls at T0 (1 -+ eps / 2)): moments rho, tau = T / T0 - 1, q = q_x / (p v0 eps)
  (per unit eps), with the walls' densities fixed by zero mass flux through each wall and
  sum rho = 0; Q = -q (free molecular 1/sqrt(pi); continuum 15 / (8 delta)).
"""
import math

import numpy as np
from scipy import linalg

_SQPI = math.sqrt(math.pi)


def _nodes(nc, cmax=7.0):
    """Half-range c-nodes and weights (including e^(-c^2) / sqrt(pi))."""
    t, wt = np.polynomial.legendre.leggauss(nc)
    t = 0.5 * (t + 1.0)
    wt = 0.5 * wt
    c = cmax * t * t
    w = 2.0 * cmax * t * wt * np.exp(-c * c) / _SQPI
    return c, w


def _kernels(delta, c, n):
    """For each node c (> 0, moving towards +x) and cell offset d = i - j >= 0 on n cells of
    h = 1/n: the cell average over cell i of the solution sourced by a unit source in cell j,
    K[c, d]; E[c, i]: the cell average of e^(-delta (x + 1/2) / c) (inflow at the left wall);
    W[c, j]: the value at the right wall x = 1/2 sourced by a unit source in cell j."""
    h = 1.0 / n
    a = delta / c  # (nc,)
    ah = a * h
    one = -np.expm1(-ah)  # 1 - e^(-ah)
    d = np.arange(n)
    decay = np.exp(-np.outer(ah, d))  # e^(-a d h)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(ah > 1e-8, one / ah, 1.0 - 0.5 * ah)
    K = np.empty((c.size, n))
    K[:, 0] = 1.0 - first
    K[:, 1:] = (first * one)[:, None] * decay[:, :-1]
    E = first[:, None] * decay
    W = one[:, None] * decay[:, ::-1]
    return K, E, W


def couette(delta, n=200, nc=96, model="S"):
    """sigma = -P_xy v0 / (p U) of linearised plane Couette flow at rarefaction ``delta``
    (model "S" or "BGK"), and the velocity profile u(x) / U on the n cells."""
    if delta <= 0:
        raise ValueError(f"delta must be > 0, got {delta!r}")
    c, w = _nodes(nc)
    s = 4.0 / 15.0 if model == "S" else 0.0
    K, E, W = _kernels(delta, c, n)
    # equilibrium coefficients A[k][j](c): Phi_1 = u + s q (c^2/2 - 1/4), Phi_2 = 2u + s q (c^2 + 1/2)
    A = [[np.ones_like(c), s * (0.5 * c * c - 0.25)], [2.0 * np.ones_like(c), s * (c * c + 0.5)]]
    # moments: u = <Phi_1>, q = <(c^2 - 5/2) Phi_1 + Phi_2>; the odd part in c of Phi cancels in
    # these (even weights), so both directions add with the same kernels mirrored
    B = [[np.ones_like(c), np.zeros_like(c)], [c * c - 2.5, np.ones_like(c)]]
    M = np.zeros((2 * n, 2 * n))
    rhs = np.zeros(2 * n)
    for j in range(2):
        for l in range(2):
            coef = sum(B[j][k] * A[k][l] for k in range(2)) * w  # (nc,)
            t = coef @ K  # offsets d >= 0
            lower = linalg.toeplitz(t, np.zeros(n))  # c > 0: source from the left
            M[j * n:(j + 1) * n, l * n:(l + 1) * n] = lower + lower.T  # both directions
        # inflow: c > 0 from the left wall (U_w = -1/2), c < 0 from the right wall (+1/2)
        inflow = [-0.5, -1.0]  # Phi_1, Phi_2 at the left wall; the right wall has the opposite
        coef = sum(B[j][k] * inflow[k] for k in range(2)) * w
        left = coef @ E
        rhs[j * n:(j + 1) * n] = left - left[::-1]
    m = linalg.solve(np.eye(2 * n) - M, rhs)
    u, q = m[:n], m[n:]
    # P_xy / p = 2 <c Phi_1> per cell, from the cell averages of Phi_1 (odd weight c: the
    # c < 0 half enters with the opposite sign); constant across the gap, averaged over it
    pxy = np.zeros(n)
    for l in range(2):
        lower = linalg.toeplitz((c * A[0][l] * w) @ K, np.zeros(n))
        pxy += (lower - lower.T) @ m[l * n:(l + 1) * n]
    left = (c * w * -0.5) @ E
    pxy += left + left[::-1]
    pxy = 2.0 * pxy.mean()
    return -pxy, u


def fourier(delta, n=200, nc=96, model="S", square=True):
    """Q = -q_x / (p v0 eps) of linearised plane Fourier flow (walls at T0 (1 -+ eps / 2)) at
    rarefaction ``delta`` (model "S" or "BGK"), and the temperature profile tau(x) / eps.
    ``square``: impose zero mass flux through the left wall only (a square system); else
    through both walls in the least-squares sense."""
    if delta <= 0:
        raise ValueError(f"delta must be > 0, got {delta!r}")
    c, w = _nodes(nc)
    s = 4.0 / 15.0 if model == "S" else 0.0
    K, E, W = _kernels(delta, c, n)
    one = np.ones_like(c)
    # unknowns: rho (n), tau (n), q (n), rho_w left, rho_w right
    # equilibrium for c > 0 (for c < 0 the odd-in-c q terms flip sign):
    # Psi_1 = rho + tau (c^2 - 1/2) + s q c (c^2 - 3/2); Psi_2 = rho + tau (c^2 + 1/2) + s q c (c^2 - 1/2)
    Aeven = [[one, c * c - 0.5, 0 * c], [one, c * c + 0.5, 0 * c]]
    Aodd = [[0 * c, 0 * c, s * c * (c * c - 1.5)], [0 * c, 0 * c, s * c * (c * c - 0.5)]]
    # moments: rho = <Psi_1>, tau = 2/3 <(c^2 - 3/2) Psi_1 + Psi_2>, q = <c ((c^2 - 5/2) Psi_1 + Psi_2)>
    Beven = [[one, 0 * c], [2.0 / 3.0 * (c * c - 1.5), 2.0 / 3.0 * one], [0 * c, 0 * c]]
    Bodd = [[0 * c, 0 * c], [0 * c, 0 * c], [c * (c * c - 2.5), c]]
    N = 3 * n + 2
    M = np.zeros((3 * n, N))
    for j in range(3):
        for l in range(3):
            # c > 0 contributes B(c) A(c); c < 0 (|c| = c) contributes B(-c) A(-c)
            plus = sum((Beven[j][k] + Bodd[j][k]) * (Aeven[k][l] + Aodd[k][l]) for k in range(2))
            minus = sum((Beven[j][k] - Bodd[j][k]) * (Aeven[k][l] - Aodd[k][l]) for k in range(2))
            lower = linalg.toeplitz((plus * w) @ K, np.zeros(n))
            upper = linalg.toeplitz((minus * w) @ K, np.zeros(n)).T
            M[j * n:(j + 1) * n, l * n:(l + 1) * n] = lower + upper
        # inflow: left wall tau_w = -1/2, Psi_1 = rho_L + tau_w (c^2 - 1/2), Psi_2 = rho_L + tau_w (c^2 + 1/2)
        # (moving +x, B(+c)); right wall tau_w = +1/2 (moving -x, B(-c))
        bp = [Beven[j][k] + Bodd[j][k] for k in range(2)]
        bm = [Beven[j][k] - Bodd[j][k] for k in range(2)]
        M[j * n:(j + 1) * n, 3 * n] = ((bp[0] + bp[1]) * w) @ E
        M[j * n:(j + 1) * n, 3 * n + 1] = (((bm[0] + bm[1]) * w) @ E)[::-1]
    rhs = np.zeros(3 * n + 3)
    for j in range(3):
        bp = [Beven[j][k] + Bodd[j][k] for k in range(2)]
        bm = [Beven[j][k] - Bodd[j][k] for k in range(2)]
        left = ((bp[0] * (c * c - 0.5) + bp[1] * (c * c + 0.5)) * w) @ E * -0.5
        right = (((bm[0] * (c * c - 0.5) + bm[1] * (c * c + 0.5)) * w) @ E)[::-1] * 0.5
        rhs[j * n:(j + 1) * n] = left + right
    A = np.zeros((3 * n + 3, N))
    A[:3 * n] = np.eye(3 * n, N) - M
    # zero mass flux through the left wall: int_{c>0} c Psi_1,in + int_{c<0} c Psi_1(-1/2) = 0,
    # Psi_1 arriving at the left wall (c < 0) from the cells and the right wall's inflow
    # (the integrals with weights w include e^(-c^2) / sqrt(pi); int_0^inf c e^(-c^2) /sqrt(pi)
    # = 1 / (2 sqrt(pi)), int c^3 = the same)
    a = delta / c
    Wl = W[:, ::-1]  # value at the left wall from cell j (c < 0)
    far = np.exp(-a)  # the right wall's inflow decayed across the gap
    row = np.zeros(N)
    for l in range(3):
        coef = Aeven[0][l] - Aodd[0][l]  # Psi_1 equilibrium for c < 0
        row[l * n:(l + 1) * n] = -((c * coef * w) @ Wl)
    row[3 * n + 1] = -(c * w * far).sum()
    row[3 * n] += (c * w).sum()
    rhs_l = 0.5 * ((c * (c * c - 0.5)) * w).sum() - 0.5 * (-(c * (c * c - 0.5) * w * far).sum())
    A[3 * n] = row
    rhs[3 * n] = rhs_l
    # and through the right wall (mirror image)
    row = np.zeros(N)
    for l in range(3):
        coef = Aeven[0][l] + Aodd[0][l]
        row[l * n:(l + 1) * n] = (c * coef * w) @ W
    row[3 * n] = (c * w * far).sum()
    row[3 * n + 1] = -(c * w).sum()
    rhs[3 * n + 1] = (0.5 * (c * (c * c - 0.5)) * w).sum() + 0.5 * (c * (c * c - 0.5) * w * far).sum()
    A[3 * n + 1] = row
    rhs[3 * n + 1] *= 1.0
    A[3 * n + 2, :n] = 1.0  # sum rho = 0
    # the model conserves mass, so zero flux through one wall implies it through the other up
    # to the discretisation error: least squares over both, or (square) the left one only
    if square:
        keep = np.r_[0:3 * n + 1, 3 * n + 2]
        sol = linalg.solve(A[keep], rhs[keep])
    else:
        sol = linalg.lstsq(A, rhs)[0]
    tau, q = sol[n:2 * n], sol[2 * n:3 * n]
    return -q[n // 2 - 1:n // 2 + 1].mean(), tau
