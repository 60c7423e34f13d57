"""Sphinx configuration of pmc's documentation.

Build (warnings are errors, as in CI)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import pmc  # noqa: E402  (the installed package: its version and docstrings)

project = "pmc"
author = "the pmc developers"
copyright = "the pmc developers"
release = pmc.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "casefile_reference",      # docs/_ext: the case-file reference from pmc.config's registries
    "pmc_docstrings",          # docs/_ext: |p| in docstrings is an absolute value, not a substitution
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
templates_path = []

# -- autodoc / numpydoc ----------------------------------------------------------------------------
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
autosummary_generate = False
numpydoc_show_class_members = False      # the class pages list members through autodoc
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()       # docstrings are checked by their doctests, not here
numpydoc_xref_param_type = False

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

intersphinx_mapping = {}                 # no network in CI: cross-references stay inside pmc

# -- the example gallery ---------------------------------------------------------------------------
# The examples run in the tests (tests/test_examples.py, with --quick); the docs render their
# source and do not run them, so the docs build stays fast.
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "plot_gallery": "False",
    "filename_pattern": r"^$",          # execute nothing even if plot_gallery is switched on
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}

# -- HTML ------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"pmc {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path = []
