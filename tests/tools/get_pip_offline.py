"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test fetches a get-pip script from a host this project's CI cannot reach and looks for it in
~/.ansible/test/cache/get_pip_<version>.py first. This script does the same job with what every
CPython ships: ensurepip, then `pip install` of the packages ansible-test asks for.
"""
import subprocess
import sys

DROP = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + [a for a in sys.argv[1:] if a not in DROP])
