"""Independent homogeneous (0D) gas replicas for the mixture cases (60, 61): replica r is the
gas of collision cell r; nothing streams, so the markers of a cell only collide among
themselves, and the spread of a quantity over the replicas gives its standard error."""
import numpy as np

import pmc


class Replicas:
    """R replicas of a mixture gas in cells of side ``side`` [m], drawn by
    :meth:`pmc.Mixture.sample` with keyword arguments ``sample`` (density, temperature, ...)."""

    def __init__(self, mixture, count, side, seed, name, **sample):
        self.mixture = mixture
        self.count = count
        parts = [mixture.sample(((r * side, (r + 1) * side), (0.0, side), (0.0, side)),
                                seed=seed + r, **sample) for r in range(count)]
        cat = np.concatenate
        self.markers = pmc.Markers(cat([m.positions for m in parts]),
                                   cat([m.momenta for m in parts]), cat([m.w for m in parts]),
                                   state=cat([m.state for m in parts]),
                                   internal=cat([m.internal for m in parts]))
        self.replica = np.repeat(np.arange(count), [m.n for m in parts])
        cells = pmc.Cells([0.0, 0.0, 0.0], [count * side, side, side], [count, 1, 1])
        H = pmc.Hamiltonian(mixture.band, units="si")
        self.operator = pmc.collisions.BinaryMixture(mixture, name=name).prepare(
            H, cells, self.markers)
        self.seed = seed
        self.step_count = 0

    def step(self, dt, n=1):
        """``n`` collision steps of ``dt`` [s]."""
        for _ in range(n):
            self.operator.collide(self.markers, dt, self.seed, self.step_count)
            self.step_count += 1
        return self

    def collisions_per_molecule(self, species=0):
        """2 (pair collisions) / N per replica since the start (for a one-species gas)."""
        n = np.bincount(self.replica, minlength=self.count)
        return 2.0 * self.operator.cell_events / n

    def species_sums(self):
        """Per replica and species: (weight, kinetic energy about the species' mean velocity
        [J], rotational energy [J], momentum (3,) [kg m/s]) of the physical molecules, arrays
        (R, S), (R, S), (R, S), (R, S, 3)."""
        m = self.markers
        S = len(self.mixture)
        key = self.replica * S + m.state
        size = self.count * S
        w = m.w
        mass = self.mixture.masses[m.state]
        W = np.bincount(key, w, size)
        P = np.stack([np.bincount(key, w * m.momenta[:, k], size) for k in range(3)], axis=1)
        M = np.bincount(key, w * mass, size)
        u = P / M[:, None]
        dv = m.momenta / mass[:, None] - u[key]
        kin = np.bincount(key, 0.5 * w * mass * np.sum(dv * dv, axis=1), size)
        rot = np.bincount(key, w * m.internal, size)
        return (W.reshape(-1, S), kin.reshape(-1, S), rot.reshape(-1, S),
                P.reshape(-1, S, 3))

    def temperatures(self):
        """(k T_tr, k T_rot) [J] per replica and species, (R, S) each (T_rot NaN for
        atoms)."""
        W, kin, rot, _ = self.species_sums()
        dof = np.array([s.rotational_dof for s in self.mixture.species], float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return kin / (1.5 * W), np.where(dof > 0, rot / (0.5 * dof * W), np.nan)

    def energies(self):
        """Total energy of each replica [J] (translational + rotational), (R,)."""
        m = self.markers
        mass = self.mixture.masses[m.state]
        e = m.w * (0.5 * np.sum(m.momenta ** 2, axis=1) / mass + m.internal)
        return np.bincount(self.replica, e, self.count)
