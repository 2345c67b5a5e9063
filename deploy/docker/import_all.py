"""Imports every module of the named packages, so a runtime environment missing a dependency fails
when it is built, not when a request first reaches the module that needs it.

    python import_all.py tqr_identity [more packages …]

``__main__`` modules are left out (importing one runs the command line). Used by the image build
(deploy/docker/Dockerfile) and by tools/runtime_envs.py on this machine.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys


def import_all(package_name: str) -> int:
    package = importlib.import_module(package_name)
    count = 1
    for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
        if module.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(module.name)
            count += 1
    return count


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {import_all(name)} modules imported")
