"""Offline stand-in for the get-pip bootstrap script that `ansible-test --venv` downloads.

ansible-test creates an empty virtual environment and runs "get-pip" in it (downloaded from its CI file server,
which this machine cannot reach) with pip's usual options and the packages to install (e.g. ``pip==24.2``).
scripts/sanity.sh copies this file to the cache path ansible-test looks at first
(``~/.ansible/test/cache/get_pip_<version>.py``). It installs pip with the interpreter's bundled ``ensurepip``
and then lets that pip install the requested packages from the package index, as get-pip would.
"""

import subprocess
import sys


def main(argv):
    # get-pip's own flags; ensurepip + pip install have no setuptools/wheel to skip
    args = [a for a in argv if a not in ("--no-setuptools", "--no-wheel")]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main(sys.argv[1:])
