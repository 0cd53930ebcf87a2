"""`sidebyside hub passwords NAME...`: initial passwords for the classroom hub (as root).

Each printed password is for that person only; they change it at their first login (see
sidebyside.hub.auth). Run it again for a person who forgot theirs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sidebyside.hub.accounts import NAME, REPO


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sidebyside hub")
    sub = parser.add_subparsers(dest="action", required=True)
    pw = sub.add_parser("passwords", help="issue initial passwords (printed once: name<TAB>password)")
    pw.add_argument("names", nargs="+", help="hub user names (add them in Admin -> Add Users too)")
    pw.add_argument("--state", type=Path,
                    default=Path(os.environ.get("SIDEBYSIDE_HUB_STATE", REPO / "hub" / "state")),
                    help="the hub's state folder (default: $SIDEBYSIDE_HUB_STATE or hub/state)")
    args = parser.parse_args(argv)
    bad = [n for n in args.names if not NAME.match(n)]
    if bad:
        print(f"sidebyside hub: not course account names: {', '.join(bad)}", file=sys.stderr)
        return 2
    if not os.access(args.state, os.W_OK):
        print(f"sidebyside hub: cannot write the hub's state folder {args.state} "
              "(run as root, with --state if the hub uses another)", file=sys.stderr)
        return 2
    from sidebyside.hub.auth import issue

    for name, password in issue(str(args.state / "passwords.dbm"), args.names).items():
        print(f"{name}\t{password}")
    return 0
