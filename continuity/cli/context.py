"""What every CLI command module shares. Commands get their pools, stores and AMI
logins from the composition root, :mod:`continuity.compose_cli`."""

from __future__ import annotations

import argparse
from typing import TypeAlias

#: What each command module's ``add_parsers`` receives.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
