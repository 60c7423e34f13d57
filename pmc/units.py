"""SI constants and scale factors.

pmc works in any consistent system of units; docstrings state SI units (m, s, kg, J). Multiply by
a scale factor to convert *into* SI and divide to convert out::

    >>> from pmc import units as u
    >>> round(2.0 * u.nm / u.m, 12)
    2e-09
    >>> round(1.0 * u.eV / u.meV)
    1000

Temperatures are energies (k_B T): ``K`` is the thermal energy of one kelvin, k_B in J::

    >>> round(300 * u.K / u.meV, 4)   # k_B T at 300 K
    25.852

Constants are the exact SI-2019 values where exact, CODATA 2018 otherwise.

Unit systems. A model is written either in SI (``"si"``: kg, m, s, J, hbar = :data:`hbar`) or in
natural units (``"natural"``: numbers of order one, hbar of order one, no unit on the outputs).
:func:`check_system` applies the rules every :class:`pmc.Hamiltonian` follows.
"""
import math

# exact defining constants
c = 299_792_458.0                 #: speed of light [m/s]
h = 6.626_070_15e-34              #: Planck constant [J s]
hbar = h / (2.0 * 3.141592653589793)  #: reduced Planck constant [J s]
e = 1.602_176_634e-19             #: elementary charge [C]
k_B = 1.380_649e-23               #: Boltzmann constant [J/K]
N_A = 6.022_140_76e23             #: Avogadro constant [1/mol]

# measured (CODATA 2018)
m_e = 9.109_383_7015e-31          #: electron mass [kg]
m_p = 1.672_621_923_69e-27        #: proton mass [kg]
m_u = 1.660_539_066_60e-27        #: atomic mass constant [kg]
epsilon_0 = 8.854_187_8128e-12    #: vacuum permittivity [F/m]

# scale factors (value of one unit in SI)
m = 1.0
cm = 1e-2
mm = 1e-3
um = 1e-6
nm = 1e-9
angstrom = 1e-10
s = 1.0
ns = 1e-9
ps = 1e-12
fs = 1e-15
J = 1.0
eV = e
meV = 1e-3 * e
kg = 1.0
#: the thermal energy of one kelvin, k_B [J]: pmc takes temperatures in energy units, so
#: ``300 * K`` is k_B T at 300 K
K = k_B
V_per_m = 1.0
kV_per_cm = 1e5


#: The unit systems a model may state.
SYSTEMS = ("si", "natural")
#: hbar below this [J s] is an SI value (the SI hbar is 1.05e-34; natural units have hbar ~ 1).
SI_HBAR_BELOW = 1e-20
#: A mass below this is an SI mass [kg] (an electron is 9.1e-31 kg, a heavy molecule 1e-24 kg);
#: natural units have masses of order one.
SI_MASS_BELOW = 1e-15
#: A mass above this with the SI hbar is not an SI mass of a particle (a micro-particle is 1e-15
#: kg); a mass of order one means natural units.
SI_MASS_ABOVE = 1e-10


def check_system(hbar=None, system=None, masses=()):
    """(hbar, system) of a model, by the rules of unit systems (checked, with defaults).

    * ``system="si"``: hbar defaults to :data:`hbar`; any other hbar is an error.
    * ``system="natural"``: hbar defaults to 1; an SI-sized hbar (< 1e-20) is an error.
    * ``system=None``: hbar defaults to 1; the system is "si" where hbar < 1e-20, else
      "natural", and every mass of ``masses`` must fit it: an SI mass (< 1e-15) with a natural
      hbar, or a mass above 1e-10 with the SI hbar, is an error saying what to pass.

    Parameters
    ----------
    hbar : float, optional
        [J s], > 0.
    system : {"si", "natural"}, optional
    masses : sequence of (name, float)
        The model's masses, named for the message.

    Examples
    --------
    >>> from pmc import units
    >>> units.check_system(None, "si")[1], units.check_system(0.5)
    ('si', (0.5, 'natural'))
    """
    if system is not None and system not in SYSTEMS:
        raise ValueError(f"units must be one of {list(SYSTEMS)}, got {system!r}")
    if hbar is None:
        hbar = globals()["hbar"] if system == "si" else 1.0
    if isinstance(hbar, (str, bytes, bool)):
        raise ValueError(f"hbar must be a number > 0, got {type(hbar).__name__} {hbar!r}")
    try:
        value = float(hbar)
    except (TypeError, ValueError):
        raise ValueError(f"hbar must be a number > 0, got {hbar!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"hbar must be a finite number > 0, got {hbar!r}")
    si_hbar = globals()["hbar"]
    if system == "si":
        if not math.isclose(value, si_hbar, rel_tol=1e-6):
            raise ValueError(f"hbar = {value:.6g} does not fit units=\"si\", whose hbar is "
                             f"pmc.units.hbar = {si_hbar:.10g} J s: leave hbar out, or pass "
                             f"units=\"natural\" for a model in natural units")
        return value, system
    if system == "natural":
        if value < SI_HBAR_BELOW:
            raise ValueError(f"hbar = {value:.6g} is an SI value, but units=\"natural\": pass "
                             f"units=\"si\" (hbar = pmc.units.hbar) for a model in SI")
        return value, system
    system = "si" if value < SI_HBAR_BELOW else "natural"
    for name, mass in masses:
        mass = float(mass)
        if system == "natural" and mass < SI_MASS_BELOW:
            raise ValueError(
                f"{name} = {mass:.6g} is an SI mass [kg], but hbar = {value:.6g} is of order one "
                f"(natural units): pass units=\"si\" to pmc.Hamiltonian (hbar then defaults to "
                f"pmc.units.hbar = {si_hbar:.6g} J s) or hbar=pmc.units.hbar; or give the mass "
                f"in natural units (of order one)")
        if system == "si" and mass > SI_MASS_ABOVE:
            raise ValueError(
                f"{name} = {mass:.6g} is not an SI particle mass [kg], but hbar = {value:.6g} is "
                f"the SI value: pass units=\"natural\" with hbar of order one (the default "
                f"hbar is 1) for a model in natural units, or units=\"si\" if the mass really "
                f"is {mass:.6g} kg")
    return value, system
