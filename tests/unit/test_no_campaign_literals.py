"""A campaign's type and state are spelled out only in the domain (``Status``) and the type modules
(``NAME``); every other module and template names them through those, so a sixth type or a new state
changes one place. The scan is about campaign roles only: a wallet ledger row of kind "recharge", a
tab marked "active" by CSS or a JSON field called "ended" are other words that happen to look alike.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import evperks

SRC = Path(evperks.__file__).parent
TYPE_NAMES = frozenset({"referral", "registration", "recharge", "one_time", "consumption"})
STATUS_NAMES = frozenset({"draft", "scheduled", "active", "ended"})

# Where the names are defined; migrations are history and keep the spelling of their day.
WHERE_THEY_BELONG = ("domain/", "services/campaigns/types/", "db/migrations/")

# Files other helpers of issue 13 still own; removed at merge, as each of them reads Status and the
# registry instead.
PENDING = frozenset({
    "api/schemas_campaigns.py",
    "db/tables_campaigns.py",
    "demo.py",
    "services/campaigns/binding.py",
    "services/campaigns/lifecycle.py",
    "services/campaigns/model.py",
    "services/campaigns/notifications.py",
    "services/campaigns/one_time.py",
    "services/campaigns/packages.py",
    "services/campaigns/progress.py",
    "services/campaigns/stats.py",
    "services/campaigns/triggers.py",
    "services/campaigns/usage.py",
    "services/dashboard.py",
    "services/wallet/recharges.py",
})

# What an expression is about, read from its spelling: a campaign's type (or the trigger a package
# came by, which is its type) or its state.
TYPE_ROLE = re.compile(r"type|trigger", re.IGNORECASE)
STATUS_ROLE = re.compile(r"status", re.IGNORECASE)
# A quoted word inside SQL text, e.g. "status IN ('draft', 'scheduled')".
QUOTED_WORD = re.compile(r"'([a-z_]+)'")


def _role_words(role: re.Pattern) -> frozenset[str]:
    return TYPE_NAMES if role is TYPE_ROLE else STATUS_NAMES


def _words_in(node: ast.AST) -> list[tuple[int, str]]:
    """The string constants of ``node``: itself, or the items of a tuple, list or set display."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.lineno, node.value)]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [found for item in node.elts for found in _words_in(item)]
    if isinstance(node, ast.Subscript):  # Literal["draft", ...]
        return _words_in(node.slice)
    if isinstance(node, ast.IfExp):  # "active" if started else "scheduled"
        return _words_in(node.body) + _words_in(node.orelse)
    return []


def _all_campaign_names(node: ast.AST) -> list[tuple[int, str]]:
    """A tuple, list or set made of types only or of states only, whatever it is called: TIERED = (...)."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set) or len(node.elts) < 2:
        return []
    words = _words_in(node)
    if len(words) == len(node.elts) and any({w for _, w in words} <= names for names in (TYPE_NAMES, STATUS_NAMES)):
        return words
    return []


def _about(node: ast.AST, text: str) -> list[tuple[int, str]]:
    """The campaign names among ``node``'s constants when ``text`` says what they are (a type or a state)."""
    found = []
    for role in (TYPE_ROLE, STATUS_ROLE):
        if role.search(text):
            found += [(line, word) for line, word in _words_in(node) if word in _role_words(role)]
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def python_literals(source: str) -> list[tuple[int, str]]:
    """(line, word) of each campaign type or state written as a string in a campaign role: compared with,
    passed as or stored under a type/trigger/status; named by a TYPE/STATUS constant; listed with others
    of its kind; or quoted in SQL."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        found += _all_campaign_names(node)
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for side in sides:
                others = " ".join(ast.unparse(s) for s in sides if s is not side)
                found += _about(side, others)
        elif isinstance(node, ast.keyword) and node.arg:
            found += _about(node.value, node.arg)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found += _about(value, key.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None:
                found += _about(node.value, " ".join(ast.unparse(t) for t in targets))
        elif isinstance(node, ast.Call):  # campaigns.c.status.in_(("scheduled", "active"))
            for arg in node.args:
                found += _about(arg, ast.unparse(node.func))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            for word in QUOTED_WORD.findall(node.value):
                if word in STATUS_NAMES | TYPE_NAMES and (TYPE_ROLE.search(node.value) or STATUS_ROLE.search(node.value)):
                    found.append((node.lineno, word))
    return sorted(set(found))


# A Jinja tag, its quoted words, and what tells that the tag is about a campaign's type or state.
JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
JINJA_STRING = re.compile(r"""(["'])([a-z_]+)\1""")
JINJA_ROLE = re.compile(r"\b(type|type_name|campaign_type|status|trigger|kind)\b")


def template_literals(source: str) -> list[tuple[int, str]]:
    """(line, word) of each campaign type or state quoted inside a Jinja tag that compares or maps types
    or states (HTML around the tags, such as test ids and CSS classes, is not read)."""
    found = []
    for tag in JINJA_TAG.finditer(source):
        if not JINJA_ROLE.search(tag.group()):
            continue
        for string in JINJA_STRING.finditer(tag.group()):
            if string.group(2) in TYPE_NAMES | STATUS_NAMES:
                found.append((source.count("\n", 0, tag.start() + string.start()) + 1, string.group(2)))
    return found


def literals_in(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return python_literals(text) if path.suffix == ".py" else template_literals(text)


def scanned_files() -> list[str]:
    files = [*SRC.rglob("*.py"), *SRC.rglob("templates/**/*.html")]
    names = sorted(p.relative_to(SRC).as_posix() for p in files)
    return [name for name in names if not name.startswith(WHERE_THEY_BELONG)]


def test_no_campaign_type_or_state_is_spelled_out_outside_the_domain_and_the_type_modules():
    found = {name: literals_in(SRC / name) for name in scanned_files() if name not in PENDING}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_every_file_still_pending_exists():
    """A pending file that was renamed or deleted is taken off the list, not left to hide a new one."""
    assert sorted(name for name in PENDING if not (SRC / name).is_file()) == []


def test_the_scan_sees_the_campaign_roles_it_is_meant_to_see():
    python = '''
TYPES = ("referral", "registration")
TIERED = ("recharge", "consumption")
status = "active" if started else "scheduled"
if row.status != "draft" or campaign["type"] == "one_time":
    stmt = campaigns.c.status.in_(("scheduled", "active"))
running_campaigns(conn, type="consumption", at=now)
packages.c.trigger == "recharge"
text("status = 'ended'")
'''
    assert sorted(word for _line, word in python_literals(python)) == sorted([
        "referral", "registration", "recharge", "consumption", "active", "scheduled", "draft", "one_time",
        "scheduled", "active", "consumption", "recharge", "ended",
    ])
    templates = '''{% if c.status in ("scheduled", "active") %}{{ p.type_name("referral") }}{% endif %}
{% macro name(kind) %}{{ {"recharge": _("Recharge campaign")}[kind] }}{% endmacro %}'''
    assert sorted(word for _line, word in template_literals(templates)) == ["active", "recharge", "referral", "scheduled"]


def test_the_scan_leaves_look_alike_words_alone():
    python = '''
"""A campaign runs while status = 'active'."""
KINDS = ("recharge", "payment")
post_entry(conn, kind="recharge")
credits.c.kind == "recharge"
{"campaign_id": 1, "ended": True}
'''
    assert python_literals(python) == []
    templates = '''<a class="{{ 'active' if nav == key else '' }}" data-testid="recharge">
{% set kinds = {"recharge": _("Recharge")} %}<span class="badge {{ c.status }}">'''
    assert template_literals(templates) == []
