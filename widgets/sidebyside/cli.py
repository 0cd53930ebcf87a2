"""`sidebyside <command>`: each command lives in its own module and is imported only when used."""

from __future__ import annotations

import importlib
import sys

# command -> (module, function taking argv, one-line help)
COMMANDS = {
    "doctor": ("sidebyside.doctor", "main", "check this environment: versions, devices, compilers"),
    "regenerate": ("sidebyside.notebooks", "main", "re-execute notebooks and store their outputs"),
    "grade": ("sidebyside.grading.cli", "main", "instructor: generate, autograde and export"),
    "slides": ("sidebyside.slides", "main", "teacher: write slide metadata for presenting notebooks"),
    "answers": ("sidebyside.answers", "main", "teacher: write answer keys into answers/ (git-ignored)"),
    "hub": ("sidebyside.hub.cli", "main", "classroom hub administrator: issue initial passwords"),
    "jupyter-setup": ("sidebyside.jupyter_env", "main",
                      "JupyterLab keeps widget state, no news pop-up; trust the course"),
}


def usage() -> str:
    lines = ["usage: sidebyside <command> [options]", "", "commands:"]
    lines += [f"  {name:<14} {helptext}" for name, (_, _, helptext) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"sidebyside: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module, func, _ = COMMANDS[name]
    return int(getattr(importlib.import_module(module), func)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
