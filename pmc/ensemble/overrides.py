"""Case overrides: dotted keys that set values in a case dict.

An override ``"section.key"`` sets ``case[section][key]``; deeper tables are walked the same way
(``"grid.x.num"``, ``"potential.modulation.amplitude"``), and a section written as a list of
tables (``[[potential]]``) is addressed by the table's index: ``"potential.0.height"``. Missing
tables are created; whether the key is valid is then checked by :func:`pmc.config.build`, which
lists the valid keys.
"""
import copy
import re
import uuid

import numpy as np

from ..config import CaseError

__all__ = ["override"]


def override(case, overrides):
    """A copy of ``case`` with dotted keys set (see the module docstring); ``case`` is not
    modified.

    Parameters
    ----------
    case : dict
        A case dict, as from :func:`pmc.config.load_case`.
    overrides : dict
        Dotted key -> value (in the units of the case-file key it replaces).

    Returns
    -------
    dict

    Raises
    ------
    pmc.config.CaseError
        For an empty or malformed key, a list section addressed without an index (the message
        shows the form ``"potential.0.height"``), an index out of range, or a key that walks
        into a value that is not a table.

    Examples
    --------
    >>> c = {"potential": [{"model": "Harmonic", "omega": 1.0}, {"model": "Quartic"}]}
    >>> override(c, {"potential.0.omega": 2.0})["potential"][0]["omega"]
    2.0
    >>> c["potential"][0]["omega"]
    1.0
    """
    out = copy.deepcopy(case)
    for key, value in overrides.items():
        _set(out, key, value)
    return out




def _set(case, key, value):
    if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
        raise CaseError(f"override key {key!r} must be dotted names such as 'potential.height'")
    parts = key.split(".")
    if parts[0] == "__dir__":
        raise CaseError("override key '__dir__' is not a case-file key")
    node, path = case, []
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if isinstance(node, list):
            if not re.fullmatch(r"\d+", part):
                where = ".".join(path)
                raise CaseError(f"override {key!r}: [{where}] is a list of {len(node)} tables; "
                                f"address one by its index, e.g. "
                                f"'{where}.0.{'.'.join(parts[k:])}'")
            index = int(part)
            if index >= len(node):
                raise CaseError(f"override {key!r}: index {index} out of range, [{'.'.join(path)}]"
                                f" has {len(node)} entries (0 .. {len(node) - 1})")
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise CaseError(f"override {key!r}: {'.'.join(path)} is a value ({node!r}), not a "
                            f"table")
        path.append(part)


def _point_name(overrides):
    text = ",".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                    for k, v in overrides.items()) or "point"
    safe = re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)
    if len(safe) > 120:
        safe = safe[:100] + "-" + uuid.uuid5(uuid.NAMESPACE_URL, text).hex[:12]
    return safe


def _plain(value):
    """TOML- and JSON-safe plain Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _without_dir(case):
    return {k: v for k, v in case.items() if k != "__dir__"}
