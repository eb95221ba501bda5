"""Entry point of the CrossGuard pack: `pulumi preview --policy-pack policies`. It only assembles the pack."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: the rules live in the project

from pulumi_policy import PolicyPack

from policies.pack import PACK_NAME, build_policies

PolicyPack(name=PACK_NAME, policies=build_policies())
