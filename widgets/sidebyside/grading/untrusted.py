"""Text that students control, on its way to places that interpret text: student ids (folder names
that become gradebook keys, paths and nbgrader regexps), spreadsheet cells and the instructor's
terminal. Each place gets its own escaping; ids are validated once, where they are collected."""

from __future__ import annotations

import unicodedata

MAX_ID_LENGTH = 128  # nbgrader's student.id column is VARCHAR(128)
# control, format (bidi overrides), surrogates (undecodable bytes), private use, unassigned, and
# line/paragraph separators: none of them belongs in an id, and each can mislead a terminal or regexp
BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
GLOB_CHARS = set("*?[]")  # nbgrader globs paths built from ids: `*` would match every student


def id_problem(student: str) -> str | None:
    """Why `student` cannot be used as a student id, or None if it can."""
    if not student:
        return "it is empty"
    if len(student) > MAX_ID_LENGTH:
        return f"it is longer than {MAX_ID_LENGTH} characters"
    for ch in student:
        if unicodedata.category(ch) in BAD_CATEGORIES:
            kind = "an undecodable byte" if unicodedata.category(ch) == "Cs" else \
                "a control or invisible formatting character"
            return f"it contains {kind} ({terminal_text(ch)})"
    if "/" in student or "\\" in student:
        return "it contains a path separator"
    if GLOB_CHARS & set(student):
        return "it contains a wildcard character (* ? [ ])"
    if student.startswith(FORMULA_START):
        return "it starts with = + - or @ (a spreadsheet would run it as a formula)"
    if student.startswith("."):
        return "it starts with a dot (hidden, and `..` is a parent folder)"
    if student != student.strip():
        return "it starts or ends with white space"
    return None


def terminal_text(text: str) -> str:
    """`text` safe to print on a terminal: control and invisible formatting characters (escape
    sequences, carriage returns, bidi overrides) are shown as Python escapes instead of acting."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in BAD_CATEGORIES:
            out.append(ch.encode("unicode_escape", errors="backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def spreadsheet_cell(value):
    """A CSV cell that a spreadsheet shows as text, never evaluates (OWASP's rule: a leading
    = + - @ tab or CR, or their full-width forms, gets a quote). Numbers stay numbers."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    try:
        float(value)
        return value  # "-1.5" is a number, not a formula
    except ValueError:
        return "'" + value
