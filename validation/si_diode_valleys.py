"""(41) The silicon n+-n-n+ diode of case 40 (GNU Archimedes' example) with the multi-valley
band: equilibrium, the current-voltage curve from the contacts and from Ramo-Shockley, the
drift-diffusion limit at low bias with the model's own bulk mobility, velocity overshoot.

Device, mesh, fields, contacts, time step, checks and tolerances: those of case 40
(:mod:`si_diode`, whose code this case runs), with one difference: the carriers are the
electrons of :func:`pmc.materials.get` ("Si") in its six X valleys (three entries of
degeneracy 2 along <100>, m_l = 0.9163 m_e, m_t = 0.1905 m_e, alpha = 0.5 / eV; C. Jacoboni and
L. Reggiani, Rev. Mod. Phys. 55, 645 (1983)), each marker streamed with its valley's
ellipsoidal velocity and scattered between valleys by the f and g phonons. The x axis of the
device lies along [100], so the X1 valleys are heavy along the current and X2, X3 light. The
contacts (:class:`pmc.Reservoir`, ``rule="neutral"``) emit the multi-valley equilibrium: the
valley of a marker crossing the wall drawn by its share of the thermal flux (X2 and X3 carry
more: their x mass is m_t), its momentum from that valley's flux-weighted Kane law through the
Herring-Vogt transform; the markers created in the contact cell by the valleys' populations
(1/3 each). (Archimedes' contacts, as read in github.com/jmarini/archimedes-nitrides
``src/particle_creation.c``, ``create_edge_particle``, create an electron in the lowest valley,
or a satellite one with a set probability, with an exponential energy of mean 1.5 kT and
cos(theta) uniform about the wall normal in a spherical valley: close to, not exactly, the
flux-weighted equilibrium drawn here.) The start is the equilibrium over the doping
(:class:`pmc.devices.DopedEquilibrium`, valleys by population).

The drift-diffusion comparison uses the model's own bulk mobility from a bulk run of the same
band and phonons at 1 kV/cm along [100] (about 1450 cm^2/Vs: case 20 measures the same model
against Canali et al.), and its bulk v(E) at 1-30 kV/cm for the field-dependent variant.

--quick: 5000 markers, 0 V and 1 V for 1.2 ps each: checks 1 and 2 of case 40.
"""
import pathlib
import sys

import pmc.validate

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import si_diode  # noqa: E402

NUMBER = 41
NAME = "si_diode_valleys"
TOLERANCE = si_diode.TOLERANCE


def run(quick, outdir):
    return si_diode.run(quick, outdir, valleys=True)


if __name__ == "__main__":
    pmc.validate.script(run)
