"""The case-file reference, generated at build time from ``pmc.config``'s registries.

The directive ``.. pmc-case-reference::`` writes one section per case-file section of
``pmc.config.SECTIONS``: the fixed keys of a plain section, or, for a section that names a model,
every model of ``pmc.config.REGISTRY`` with its parameters (the case-file keys), their defaults
and types, and the first paragraph of the model's docstring. Nothing here lists a model by hand,
so a model added to a registry appears in the docs without editing them.
"""
import dataclasses
import inspect
import textwrap

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from pmc_docstrings import escape_prose

# registries that a model section nests (a key of the section's tables names a model from them)
NESTED = {"potential": [("modulation", "modulation")],
          "boundary": [("reservoir", "left / right")],
          "collisions": [("cross_section", "cross_section")]}
# sections that may hold several tables, and what several of them mean
LISTS = {"potential": "summed", "boundary": "one per axis", "collisions": "applied in order"}


def _parameters(cls):
    """(name, default, type, description) of each case-file key of a model class."""
    described = {}
    try:
        from numpydoc.docscrape import NumpyDocString
        for p in NumpyDocString(inspect.getdoc(cls) or "")["Parameters"]:
            for name in p.name.replace(" ", "").split(","):
                described[name] = (p.type, " ".join(p.desc).strip())
    except Exception:  # a docstring numpydoc cannot parse still lists its parameters below
        pass
    if dataclasses.is_dataclass(cls):
        params = [(f.name, f.default, f.default_factory, f.type) for f in dataclasses.fields(cls)
                  if f.init]
    else:
        sig = inspect.signature(cls)
        params = [(p.name, p.default, dataclasses.MISSING, p.annotation)
                  for p in sig.parameters.values()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    out = []
    for name, default, factory, annotation in params:
        if default is not dataclasses.MISSING and default is not inspect.Parameter.empty:
            shown = f"``{_short(repr(default))}``"
        elif factory is not dataclasses.MISSING:
            shown = f"``{_short(repr(factory()))}``"
        else:
            shown = "required"
        kind, desc = described.get(name, ("", ""))
        if not kind and annotation not in (inspect.Parameter.empty, None):
            kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        out.append((name, shown, kind, desc))
    return out


def _short(text, n=40):
    return text if len(text) <= n else text[: n - 3] + "..."


def _summary(obj):
    """The first paragraph of a docstring, on one line."""
    doc = inspect.getdoc(obj) or ""
    return escape_prose(" ".join(doc.split("\n\n")[0].split()))


def _inline(text):
    """A docstring fragment safe in a table cell: one line, no trailing backslash."""
    return escape_prose(" ".join(text.split()).rstrip("\\")) or " "


def _model_table(name, cls, key_label="model"):
    lines = [f".. rubric:: {key_label} = \"{name}\"", "",
             f":class:`{cls.__module__}.{cls.__qualname__}` -- {_summary(cls)}", ""]
    params = _parameters(cls)
    if params:
        lines += [".. list-table::", "   :header-rows: 1", "   :widths: 18 16 16 50", "",
                  "   * - key", "     - default", "     - type", "     - meaning"]
        for pname, default, kind, desc in params:
            lines += [f"   * - ``{pname}``", f"     - {default}", f"     - {_inline(kind)}",
                      f"     - {_inline(desc)}"]
        lines.append("")
    else:
        lines += ["No parameters.", ""]
    return lines


def reference_lines():
    """The reference as reStructuredText lines."""
    from pmc import config
    lines = []
    methods = getattr(config, "METHODS", None)
    for section, keys in config.SECTIONS.items():
        title = f"[{section}]"
        lines += [title, "-" * len(title), ""]
        if keys is not None:
            lines += ["Keys: " + ", ".join(f"``{k}``" for k in sorted(keys)) + ".", ""]
            if section == "run" and methods:
                lines += ["``method``: one of " + ", ".join(f'``"{m}"``' for m in methods)
                          + ".", ""]
            continue
        registry = config.REGISTRY.get(section, {})
        form = (f"A table, or a list of tables (``[[{section}]]``, {LISTS[section]}),"
                if section in LISTS else "A table")
        lines += [f"{form} naming one of {len(registry)} models with ``model = \"...\"``; "
                  "its other keys are the model's parameters.", ""]
        for name, cls in registry.items():
            lines += _model_table(name, cls)
        for nested, label in NESTED.get(section, []):
            sub = config.REGISTRY.get(nested)
            if not sub:
                continue
            lines += [f".. rubric:: Nested tables: ``{label}``", "",
                      f"Models of the ``{nested}`` registry, given as an inline table with its "
                      "own ``model`` key.", ""]
            for name, cls in sub.items():
                lines += _model_table(name, cls)
    return lines


class CaseReference(SphinxDirective):
    has_content = False

    def run(self):
        container = nodes.container()
        text = StringList(reference_lines(), source="pmc.config.REGISTRY")
        self.state.nested_parse(text, self.content_offset, container, match_titles=True)
        return container.children


def setup(app):
    app.add_directive("pmc-case-reference", CaseReference)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # print the generated reStructuredText
    print(textwrap.dedent("\n".join(reference_lines())))
