"""The one build step pyproject.toml cannot declare: the wheel carries the committed release.

`build_py` copies out/ (the release `python build.py` writes and the repository commits),
byte for byte, into the package as `ketamine_kg/release_data/`, where `ketamine-kg` and
`import ketamine_kg` find it outside a checkout (src/ketamine_kg/release/locate.py). The sdist
carries out/ through MANIFEST.in, so a wheel built from the sdist carries it too. An editable
install copies nothing: it reads the checkout's out/ in place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RELEASE = ROOT / "out"
PACKAGED = Path("ketamine_kg", "release_data")  # relative to the build directory


class build_py_with_release(build_py):
    """build_py, then the release copied into the package."""

    def run(self) -> None:
        """Build the package; unless editable, copy out/ into it."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        shutil.rmtree(Path(self.build_lib) / PACKAGED, ignore_errors=True)  # no stale files
        for source, target in self._release_files().items():
            self.mkpath(str(Path(target).parent))
            self.copy_file(str(source), target, preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The package's files and the release's."""
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        return [*outputs, *self._release_files().values()]

    def _release_files(self) -> dict[Path, str]:
        if not (RELEASE / "SHA256SUMS").is_file():
            raise SystemExit(
                f"error: no release at {RELEASE} (out/SHA256SUMS is missing): run "
                "`python build.py` in the checkout before building the package"
            )
        files = sorted(p for p in RELEASE.rglob("*") if p.is_file())
        target = Path(self.build_lib) / PACKAGED
        return {p: str(target / p.relative_to(RELEASE)) for p in files}


setup(cmdclass={"build_py": build_py_with_release})
