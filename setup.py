"""Package map: each top-level folder installs as a sub-package of `memos` (DESIGN.md, Layout).

Kept in code rather than in pyproject.toml so that sub-packages added under any folder are
picked up without editing a list.
"""

from setuptools import find_packages, setup

PACKAGE_DIRS = {
    "memos": "memos",
    "memos.model": "model",
    "memos.kernels": "kernels",
    "memos.stores": "stores",
    "memos.policies": "policies",
    "memos.cli": "cli",
    "memos.server": "server",
}

packages: list[str] = []
for package, folder in PACKAGE_DIRS.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=PACKAGE_DIRS)
