"""Docstrings written for a reader of the source, rendered without surprises.

pmc's docstrings write absolute values and norms the way a physicist types them, ``|p|`` or
``|V_kl|^2``; in reStructuredText ``|...|`` is a substitution reference. This extension escapes
every ``|`` outside literal blocks and doctests before autodoc renders a docstring, so the
source stays readable and the build has no warnings.
"""
import re

_BAR = re.compile(r"(?<!\\)\|")


def escape_prose(line):
    """Escape ``|`` in one line of prose, outside inline literals."""
    parts = line.split("``")
    parts[::2] = [_BAR.sub(r"\\|", part) for part in parts[::2]]
    return "``".join(parts)


def escape_bars(lines):
    """Escape ``|`` in prose lines; literal blocks (after ``::``) and doctests stay as they are."""
    out, literal_indent, prev = [], None, ""
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None and stripped and indent <= literal_indent:
            literal_indent = None                     # the literal block has ended
        if literal_indent is None and stripped and prev.rstrip().endswith("::"):
            marker = len(prev) - len(prev.lstrip())
            if indent > marker:
                literal_indent = marker               # a literal block starts here
        if literal_indent is not None or stripped.startswith((">>>", "... ")):
            out.append(line)
        else:
            out.append(escape_prose(line))
        if stripped:
            prev = line
    return out


def _process(app, what, name, obj, options, lines):
    lines[:] = escape_bars(lines)


def setup(app):
    app.connect("autodoc-process-docstring", _process, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
