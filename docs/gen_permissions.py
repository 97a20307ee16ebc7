"""Regenerates the table in docs/permissions.md from OPERATION_ROLES: python docs/gen_permissions.py"""

from pathlib import Path

from learnloop.domain.permissions import OPERATION_ROLES

DOC = Path(__file__).with_name("permissions.md")
MARK = "| operation | role needed |"

text = DOC.read_text()
head = text[: text.index(MARK)]
rows = "".join(
    f"| `{op}` | {role.value if role else 'none'} |\n" for op, role in OPERATION_ROLES.items()
)
DOC.write_text(f"{head}{MARK}\n|---|---|\n{rows}")
