"""Where the release is: the one lookup order of the command line and the Python API.

1. the directory given: `query --release DIR`, `serve DIR` (and `publish`, `redirects`), or
   `release=` in the Python API;
2. out/ of the project given by `--project DIR`;
3. the directory in the environment variable KETAMINE_KG_RELEASE;
4. out/ of the ketamine-kg checkout that contains the working directory;
5. the release shipped in the package: `ketamine_kg/release_data/` of an installed wheel, or
   out/ of the checkout the code runs from (an editable install, or `src/` on the path).

The first step that names a directory decides: one that holds no release is an error naming
the directory and the step, never a silent fall-through to the next. When no step names one,
the error lists what was looked for and how to give a release.
"""

from __future__ import annotations

import os
from pathlib import Path

from ketamine_kg.config import Project, project_around, source_checkout
from ketamine_kg.release.directory import NQUADS, ReleaseDir, ReleaseMissing

#: The environment variable naming a release directory (step 3).
ENV_VAR = "KETAMINE_KG_RELEASE"
#: Where a wheel carries the committed release (setup.py copies out/ there, byte for byte).
PACKAGED = Path(__file__).resolve().parents[1] / "release_data"
#: The order, for `--help`.
LOOKUP_HELP = (
    "Release lookup, first match wins: the directory given (query --release DIR, serve DIR), "
    f"else out/ of --project DIR, else ${ENV_VAR}, else out/ of the checkout containing the "
    "working directory, else the release shipped in the package."
)


def locate(
    given: Path | str | None = None,
    project: Project | None = None,
    *,
    given_as: str = "--release DIR",
) -> ReleaseDir:
    """The release to read, found in the order above and checked to hold the N-Quads dump;
    `given_as` names step 1 in messages. ReleaseMissing, with the fix, when there is none.
    """
    release = _first(given, project, given_as)
    release.require(NQUADS)
    return release


def _first(given: Path | str | None, project: Project | None, given_as: str) -> ReleaseDir:
    if given:
        return ReleaseDir(Path(given), f"given as {given_as}")
    if project is not None:
        return ReleaseDir(project.out_dir, "out/ of --project")
    if env := os.environ.get(ENV_VAR):
        return ReleaseDir(Path(env), f"from ${ENV_VAR}")
    cwd = Path.cwd()
    if around := project_around(cwd):
        return ReleaseDir(around.out_dir, "out/ of the checkout containing the working directory")
    if PACKAGED.is_dir():
        return ReleaseDir(PACKAGED, "shipped in the package")
    if checkout := source_checkout():
        return ReleaseDir(checkout.out_dir, "out/ of the checkout the package runs from")
    raise ReleaseMissing(
        f"no release found: none was given ({given_as}), ${ENV_VAR} is not set, no "
        f"ketamine-kg checkout contains {cwd}, and the package ships none (no {PACKAGED}). "
        f"Give a release directory (one holding {NQUADS}, such as a checkout's out/) as "
        f"{given_as} or in ${ENV_VAR}, run inside a checkout, or install the package from "
        "its wheel or sdist, which carry the release"
    )
