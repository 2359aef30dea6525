"""The README and docs/ stay true: every link and anchor resolves, every `invoke` task and flag they name
exists, and every repository path they name is there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasks import ns
from tasks.paths import ROOT

DOCS = sorted([ROOT / "README.md", ROOT / "k8s" / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
TOP_LEVEL = ("app/", "k8s/", "tasks/", "tests/", "docs/", "bin/", "requirements/", ".github/", ".ci/")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def sections(doc: Path) -> dict[str, str]:
    """DOC's text under each heading, by the heading's anchor (GitHub's: a repeated heading gets -1, -2, ...);
    the text before the first heading under ""."""
    found, seen, anchor = {}, {}, ""
    for line in doc.read_text().splitlines():
        if line.startswith("#"):
            base = slug(line.lstrip("#"))
            count = seen.get(base, 0)
            anchor = base if count == 0 else f"{base}-{count}"
            seen[base] = count + 1
        found[anchor] = found.get(anchor, "") + line + "\n"
    return found


def anchors(doc: Path) -> set[str]:
    return set(sections(doc)) - {""}


def prose(doc: Path) -> str:
    """The document without fenced code blocks (their text is not a claim about links)."""
    return re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.M | re.S)


def tasks_and_flags() -> dict[str, set[str]]:
    flags = {}
    for name in ns.task_names:
        task = ns[name]
        flags[name] = {f"--{arg.name.replace('_', '-')}" for arg in task.get_arguments()} | {"--help"}
    return flags


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(doc):
    broken = []
    for target in LINK.findall(prose(doc)):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked here (no network)
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        if not linked.exists():
            broken.append(f"{target}: no {path}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.relative_to(ROOT)}")
    assert broken == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_invoke_task_and_flag_named_exists(doc):
    known, wrong = tasks_and_flags(), []
    for span in CODE.findall(doc.read_text()):
        words = span.split()
        for i, word in enumerate(words[:-1]):
            if word.endswith("invoke") and not words[i + 1].startswith("-"):
                name = words[i + 1]
                if name.endswith(".*") and any(task.startswith(name[:-1]) for task in known):
                    continue  # a family of tasks: db.*
                if name not in known:
                    wrong.append(f"`{span}`: no task {name}")
                    continue
                for flag in (w.split("=")[0] for w in words[i + 2 :] if w.startswith("--")):
                    if flag == "--":
                        break  # what follows goes to the command (invoke manage -- ARGS)
                    if flag.split("[")[0] not in known[name]:
                        wrong.append(f"`{span}`: {name} has no {flag}")
    assert wrong == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_named_exists(doc):
    missing = []
    for span in CODE.findall(doc.read_text()):
        path = span.split()[0].rstrip(".,:;")
        if not path.startswith(TOP_LEVEL) or "<" in path or "NAME" in path:
            continue
        if not list(ROOT.glob(re.sub(r"\{[^}]*\}", "*", path.rstrip("/")))):
            missing.append(path)
    assert missing == []


def test_the_prerequisites_table_gives_the_minimums_the_doctor_checks():
    from tasks.devloop.diagnosis import INSTALL, MIN_MINIKUBE, MIN_TILT

    section = (ROOT / "README.md").read_text().split("## Prerequisites", 1)[1].split("\n## ", 1)[0]
    table = [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()]
    rows = {cells[0]: cells[1] for cells in table if len(cells) > 1}
    assert rows["tilt (optional)"] == ".".join(map(str, MIN_TILT[:2]))
    assert rows["a local cluster"].startswith(f"minikube {'.'.join(map(str, MIN_MINIKUBE[:2]))} ")
    assert f"skaffold >= {rows['skaffold']} " in INSTALL["skaffold"]


BENCHMARKS = ROOT / "docs" / "benchmarks.md"
# A measured quantity: a number or a range, then its unit.
QUANTITY = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?\s?(ms|s|MiB|MB|minutes?)\b")
SENTENCE_END = re.compile(r"(?<=[.:])\s+(?=[A-Z(\[`*])|\n(?=\s*(?:[-|]|\d+\.)\s)")
CITATION = re.compile(r"\]\((?:\.\./)?(?:docs/)?benchmarks\.md(?:#([\w-]+))?\)")


def figures(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text)]


def measured(number: str, unit: str, table: list[float]) -> bool:
    """Whether TABLE has a figure that reads as NUMBER UNIT at the precision it is quoted to."""
    places = len(number.partition(".")[2])
    value = float(number)
    if unit.startswith("minute"):
        return any(abs(x / 60 - value) <= 0.5 for x in table)
    if unit == "ms" and value in table:
        return True  # quoted as the benchmarks write it
    if unit == "ms":
        value, places = value / 1000, places + 3
    return any(abs(x - value) <= 0.5 * 10**-places + 1e-9 for x in table)  # rounded, half either way


def unquoted(doc: Path) -> list[str]:
    """The figures of DOC's sentences (list items, table rows) that cite docs/benchmarks.md which the cited sections
    do not have; and citations of figures that name no section."""
    bench, wrong = sections(BENCHMARKS), []
    for sentence in SENTENCE_END.split(prose(doc)):
        cited = CITATION.findall(sentence)
        quantities = QUANTITY.findall(sentence)
        if not cited or not quantities:
            continue
        where = " ".join(sentence.split())[:160]
        if "" in cited:
            wrong.append(f"cite the section of docs/benchmarks.md that has the figures: {where}")
            continue
        table = [x for anchor in cited for x in figures(bench.get(anchor, ""))]
        wrong += [
            f"{number} {unit} is not in {', '.join(cited)}: {where}"
            for low, high, unit in quantities
            for number in filter(None, (low, high))
            if not measured(number, unit, table)
        ]
    return wrong


@pytest.mark.parametrize("doc", [d for d in DOCS if d != BENCHMARKS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_figure_quoted_from_the_benchmarks_is_in_the_section_cited(doc):
    assert unquoted(doc) == []
