"""Counter-based random numbers (docs/design.md §1, "Randomness").

Every draw is a pure function of (key, counter): ``key`` is derived from the run's seed and a
stream label (the step, the boundary side, the cell), ``counter`` numbers the draws inside the
stream. Results therefore do not depend on thread scheduling, and a checkpoint needs only the step
counter. The mixer is the splitmix64 finaliser (Steele, Lea & Flood 2014, "Fast splittable
pseudorandom number generators"), applied twice per draw, which passes BigCrush as a counter
hash (the construction numpy's SeedSequence and PySDM's counter streams rely on too).
"""
import math

import numpy as np
from numba import njit, uint64

from . import JIT

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53

# ----------------------------------------------------------------------------- stream labels
# Every random stream of a run is keyed from the run's seed by stream_key(seed, a, b), with a
# label from this table in a or b; the labels lie far apart (multiples of 2^40; a mechanism adds
# the crc32 of its name, < 2^32, pmc.collisions.base.name_label, and injection the wall side or
# the marker's index), so no two streams of a run share a key. Sub-streams inside a kernel (one
# per marker or cell) are keyed from their mechanism's key by the marker or cell index.
#: Injection through wall side s at step t: arrivals stream_key(seed, t, INJECTION + s); the
#: k-th arriving marker stream_key(seed, t, (s + 1) * INJECTION_MARKER + k).
INJECTION = 1 << 40
INJECTION_MARKER = 4 << 40
#: Discrete-state jumps (pmc.collisions.RateMatrix) named N at step t:
#: stream_key(seed, t, RATE_MATRIX + crc32(N)); marker i: stream_key(that, i, 0).
RATE_MATRIX = 3 << 44
#: Binary collisions (pmc.collisions.Binary) named N at step t:
#: stream_key(seed, t, BINARY + crc32(N)); cell c: stream_key(that, c, 0).
BINARY = 5 << 44
#: Continuous-momentum scattering (pmc.collisions.Mechanism) named N:
#: stream_key(seed, SCATTERING, crc32(N)); at step t, marker (or cell) i: stream_key(that, t, i).
#: SCATTERING equals BINARY, but in the other argument: no label pair of the one family can be a
#: pair of the other, for any step t and names N, N', since (t, BINARY + crc32(N)) =
#: (SCATTERING, crc32(N')) needs BINARY + crc32(N) = crc32(N') < 2^32 < BINARY. (Their sub-streams
#: hang from these different keys.) Streams with distinct label pairs share a key only by a
#: 63-bit hash coincidence, as any two streams do.
SCATTERING = 5 << 44
#: Gas-surface walls (pmc.Diffuse, pmc.CLL) in the push of step t with step length dt:
#: stream_key(seed, t, WALLS + (the low 32 bits of dt's hash)) (a composed push and a half push
#: with the same index differ in dt); marker i: stream_key(that, i, 0).
WALLS = 7 << 44
#: Freestream faces (pmc.Freestream), wall side code c = 2 axis + side, at step t: arrivals
#: stream_key(seed, t, FREESTREAM + c); the k-th arrival
#: stream_key(seed, t, FREESTREAM + (c + 1) * FREESTREAM_MARKER + k).
FREESTREAM = 9 << 44
FREESTREAM_MARKER = 1 << 36
#: Ohmic contacts refilling their contact cell (pmc.Reservoir with rule="neutral") on wall side s
#: at step t: stream_key(seed, t, OHMIC + s); the k-th created marker stream_key(that, k, 0); the
#: choice of the markers removed from a cell in excess stream_key(seed, t, OHMIC + 2 + s).
OHMIC = 11 << 44
#: Mixture collisions (pmc.collisions.BinaryMixture) named N at step t:
#: stream_key(seed, t, MIXTURE + crc32(N)); cell c: stream_key(that, c, 0).
MIXTURE = 13 << 44
#: Signed-particle Wigner transport (pmc.collisions.WignerPotential) named N at step t: pair
#: generation stream_key(seed, t, WIGNER + crc32(N)) (generation g: stream_key(that, g, 0),
#: source i: its counters from i << 24; generation 0's search for the markers with an event,
#: chunk k: stream_key(that, 0, 1 + k)); annihilation stream_key(seed, t, WIGNER_ANNIHILATION + crc32(N))
#: (cell c: stream_key(that, c, 0)).
WIGNER = 15 << 44
WIGNER_ANNIHILATION = 17 << 44
#: The push of dt composed from the trailing half push of step t and the leading half push of
#: step t + 1 (a Simulation with collisions; half pushes have their own indices 2t + 1, 2t + 2):
#: its contact streams (INJECTION, INJECTION_MARKER, OHMIC above) are keyed as in the table with
#: the step index t, from the key stream_key(seed, COMPOSED_PUSH, 0) in place of the seed.
COMPOSED_PUSH = 19 << 44
#: Freestream faces of a mixture (pmc.Freestream with mixture=): species s >= 1 on wall side code
#: c at step t use the FREESTREAM streams above with FREESTREAM_SPECIES in place of FREESTREAM and
#: c' = 6 (s - 1) + c in place of c (species 0 uses FREESTREAM itself).
FREESTREAM_SPECIES = 23 << 44
#: Positions across a contact face (pmc.Injecting in 2 or 3 dimensions) at step t: the markers
#: entering through wall side s by the flux stream_key(seed, t, CONTACT_FACE + s), those an
#: ohmic contact creates in its cell stream_key(seed, t, CONTACT_FACE + 2 + s); the k-th
#: marker's transverse axis a (1 or 2) at counter (dx - 1) k + a - 1. (A composed push keys
#: them from its own family, as COMPOSED_PUSH says.)
CONTACT_FACE = 35 << 44
#: The table by name.
STREAMS = {"injection": INJECTION, "injection_marker": INJECTION_MARKER,
           "rate_matrix": RATE_MATRIX, "binary": BINARY, "scattering": SCATTERING,
           "walls": WALLS, "freestream": FREESTREAM, "ohmic": OHMIC, "mixture": MIXTURE,
           "wigner": WIGNER, "wigner_annihilation": WIGNER_ANNIHILATION,
           "composed_push": COMPOSED_PUSH, "freestream_species": FREESTREAM_SPECIES,
           "contact_face": CONTACT_FACE}


@njit(**JIT)
def mix64(z):
    """splitmix64 finaliser: a bijection of uint64 with full avalanche."""
    z = uint64(z)
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(**JIT)
def stream_key(seed, label_a, label_b):
    """Key of the stream labelled (label_a, label_b) under ``seed`` (all non-negative ints).
    Keys have 63 bits, so they pass through Python as ordinary int64."""
    k = mix64(uint64(seed) + _GOLDEN)
    k = mix64(k ^ (uint64(label_a) + _GOLDEN))
    return mix64(k ^ (uint64(label_b) * _GOLDEN + uint64(1))) >> uint64(1)


@njit(**JIT)
def draw_bits(key, counter):
    """The 64 random bits of draw number ``counter`` of stream ``key``."""
    return mix64(mix64(uint64(key) ^ (uint64(counter) * _GOLDEN)) + _GOLDEN)


@njit(**JIT)
def bits_to_uniform(bits):
    """Uniform double in [0, 1) from 64 random bits (their top 53)."""
    return float(bits >> uint64(11)) * _INV53


@njit(**JIT)
def uniform(key, counter):
    """Uniform double in [0, 1) for draw number ``counter`` of stream ``key``."""
    return bits_to_uniform(draw_bits(key, counter))


@njit(**JIT)
def uniform_open(key, counter):
    """Uniform double in (0, 1]: safe under ``log``."""
    return 1.0 - uniform(key, counter)


@njit(**JIT)
def normal(key, counter):
    """Standard normal deviate from draws ``2*counter`` and ``2*counter+1`` (Box-Muller)."""
    u1 = uniform_open(key, 2 * counter)
    u2 = uniform(key, 2 * counter + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(**JIT)
def fill_uniform(key, out):
    """Fill ``out`` with uniform draws 0..len-1 of stream ``key`` (used by tests)."""
    for i in range(out.shape[0]):
        out[i] = uniform(key, i)
    return out


def seed_to_int(seed):
    """A 63-bit integer from anything :class:`numpy.random.SeedSequence` accepts."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
