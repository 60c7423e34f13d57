"""Per-marker geometry shared by the collision kernels."""
import math

from numba import njit

from .models import SCALAR


@njit(**SCALAR)
def on_sphere(r, c, cos_phi, sin_phi):
    """The vector of length ``r`` at polar cosine ``c`` and azimuth phi (given by its cosine
    and sine), the polar axis last: (r s cos phi, r s sin phi, r c), s = sqrt(1 - c^2). With c
    uniform in [-1, 1] and phi uniform, an isotropic direction (Archimedes' hat-box theorem).
    Every isotropic draw of the kernels ends here."""
    s = math.sqrt(max(0.0, 1.0 - c * c)) * r
    return s * cos_phi, s * sin_phi, r * c
