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
"""

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
