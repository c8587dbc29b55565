"""`dvc.yaml` lists each stage's exact code: its deps under src/ are the import closure of the
stage's CLI command, no more and no less, and the report declares the parameters it prints.

The closure is read from the source with `ast`, never by importing: a stage `company-risk X`
starts at cli.py's module-level imports (they run for every command), the body of the command
function `x` and of every cli.py helper it calls, and follows each `company_risk` import it
meets (module-level or inside a function, `import a.b` or `from a.b import c`) through every
module it reaches. Importing `a.b.c` also runs the packages `a.b` and `a`, so those count too.
Two files are left out on purpose: cli.py itself (the entry point every command shares; the
stage's `cmd` is what DVC tracks of it) and the root `company_risk/__init__.py`, which holds
only the version (checked below, so the exclusion stays harmless).
"""

from __future__ import annotations

import ast
import shlex
from pathlib import Path

import pytest
import yaml

from company_risk.config import load_params, params_to_dict

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "company_risk"
CLI = SRC / PACKAGE / "cli.py"
ROOT_INIT = SRC / PACKAGE / "__init__.py"
DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
STAGES = DVC_YAML["stages"]


# ------------------------------------------------------------------------------- imports
def module_file(name: str) -> Path | None:
    """The file of module `name` (a package's __init__.py), None when it is no module of ours."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    base = SRC.joinpath(*name.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_nodes(node: ast.AST, into_functions: bool = True):
    """Every node below `node` that can run, skipping `if TYPE_CHECKING:` blocks (and, unless
    `into_functions`, the bodies of functions and classes)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.orelse:
                yield stmt
                yield from runtime_nodes(stmt, into_functions)
            continue
        yield child
        if into_functions or not isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            yield from runtime_nodes(child, into_functions)


def imported_modules(nodes, current: str, is_package: bool) -> set[str]:
    """The `company_risk` modules the import statements among `nodes` load, with the parent
    packages each import runs. `current` is the module holding them (for relative imports)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = current.split(".") if is_package else current.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import mod`
    found = set()
    for name in names:
        if module_file(name) is None:
            continue
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {n for n in found if module_file(n) is not None}


def closure(start: set[str]) -> set[Path]:
    """The files of every `company_risk` module reachable from the modules `start`."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        todo.extend(imported_modules(runtime_nodes(tree), name, path.name == "__init__.py") - seen)
    return {module_file(n) for n in seen} - {CLI, ROOT_INIT}


# --------------------------------------------------------------------------- entry points
CLI_TREE = ast.parse(CLI.read_text(encoding="utf-8"), filename=str(CLI))
CLI_DEFS = {
    node.name: node
    for node in CLI_TREE.body
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
}


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(target)


def cli_commands() -> dict[str, ast.FunctionDef]:
    """`company-risk` subcommand name -> its function: those decorated `@command(...)`."""
    return {
        node.name.replace("_", "-"): node
        for node in CLI_DEFS.values()
        if isinstance(node, ast.FunctionDef)
        and any(_decorator_name(d) == "command" for d in node.decorator_list)
    }


def _callback_defs() -> list[ast.AST]:
    """What runs for every command: the app callback and the `command` decorator."""
    return [CLI_DEFS["command"]] + [
        node
        for node in CLI_DEFS.values()
        if isinstance(node, ast.FunctionDef)
        and any(_decorator_name(d).endswith(".callback") for d in node.decorator_list)
    ]


def _imports_of_cli_functions(start: list[ast.AST]) -> set[str]:
    """Modules imported inside the cli.py functions `start` and every cli.py helper they call."""
    modules: set[str] = set()
    todo, done = list(start), set()
    while todo:
        node = todo.pop()
        if node.name in done:
            continue
        done.add(node.name)
        below = list(runtime_nodes(node))
        modules |= imported_modules(below, "company_risk.cli", False)
        for call in below:
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                helper = CLI_DEFS.get(call.func.id)
                if helper is not None and helper.name not in done:
                    todo.append(helper)
    return modules


def command_modules(command: str) -> set[str]:
    """What the command itself imports (its body and the cli.py helpers it calls)."""
    return _imports_of_cli_functions([cli_commands()[command]])


def entry_modules(command: str) -> set[str]:
    """The `company_risk` modules `company-risk <command>` loads from cli.py: the module-level
    imports, and those of the command, of the callback and of every helper they call."""
    top = imported_modules(runtime_nodes(CLI_TREE, into_functions=False), "company_risk.cli", False)
    return top | command_modules(command) | _imports_of_cli_functions(_callback_defs())


def own_packages(command: str) -> set[Path]:
    """The folders of the packages the command imports directly: the stage's own code, which
    dvc.yaml lists as one folder. Modules it reaches only through them are listed one by one
    (unless it imports a whole package), so a stage borrowing from a peer shows in dvc.yaml."""
    return {
        SRC.joinpath(*name.split(".")[:2])
        for name in command_modules(command)
        if len(name.split(".")) >= 2 and SRC.joinpath(*name.split(".")[:2]).is_dir()
    }


def stage_command(stage: dict) -> str:
    argv = shlex.split(stage["cmd"])
    assert argv[0] == "company-risk", f"{stage['cmd']!r}: dvc.yaml calls the CLI"
    return next(a for a in argv[1:] if not a.startswith("-"))


def code_deps(stage: dict) -> list[Path]:
    return [ROOT / d for d in stage.get("deps", []) if str(d).startswith("src/")]


def covered(path: Path, deps: list[Path]) -> bool:
    return any(path == dep or path.is_relative_to(dep) for dep in deps if dep.exists())


def rel(paths) -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in paths)


# --------------------------------------------------------------------------------- tests
def test_the_reader_finds_imports_inside_functions_and_skips_type_checking():
    # scoring/run.py imports company_risk.ingest (the drops data/interim lacks); the parser
    # must also find imports inside functions and skip `if TYPE_CHECKING:` blocks
    run = closure({"company_risk.scoring.run"})
    assert SRC / PACKAGE / "ingest" / "__init__.py" in run
    tree = ast.parse("if TYPE_CHECKING:\n    import company_risk.train\n")
    assert imported_modules(runtime_nodes(tree), "company_risk.x", False) == set()
    tree = ast.parse("def f():\n    from company_risk.train import split\n")
    assert imported_modules(runtime_nodes(tree), "company_risk.x", False) == {
        "company_risk",
        "company_risk.train",
        "company_risk.train.split",
    }


def test_the_root_package_imports_nothing():
    """The one module left out of every closure must stay free of imports."""
    tree = ast.parse(ROOT_INIT.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def test_every_stage_calls_a_cli_command():
    commands = cli_commands()
    for name, stage in STAGES.items():
        assert stage_command(stage) in commands, f"stage {name}: {stage['cmd']!r}"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_code_deps_are_the_import_closure_of_the_stage(name):
    stage = STAGES[name]
    files = closure(entry_modules(stage_command(stage)))
    deps = code_deps(stage)
    assert [d for d in deps if not d.exists()] == [], f"stage {name}: deps that do not exist"
    missing = [f for f in files if not covered(f, deps)]
    assert rel(missing) == [], f"stage {name} imports these but does not list them in deps"
    unused = [d for d in deps if not any(f == d or f.is_relative_to(d) for f in files)]
    assert rel(unused) == [], f"stage {name} lists code deps it never imports"
    # a folder is the stage's own package, or one whose every module the stage imports
    own = own_packages(stage_command(stage))
    over = [
        f
        for d in deps
        if d.is_dir() and d not in own
        for f in d.rglob("*.py")
        if f not in files and "__pycache__" not in f.parts
    ]
    assert rel(over) == [], (
        f"stage {name}: a folder dep of another stage's package holds modules this stage "
        "never imports; list the ones it does import"
    )


def test_the_report_declares_every_parameter_it_prints():
    """The report's lineage prints every section of params.yaml (`params_to_dict`), so a change
    to any of them must rerun it: the stage declares the whole file."""
    declared = STAGES["report"]["params"]
    whole_file = any(isinstance(p, dict) and p.get("params.yaml") is None for p in declared)
    sections = {p.split(".")[0] for p in declared if isinstance(p, str) and "." not in p}
    printed = set(params_to_dict(load_params(ROOT / "params.yaml")))
    assert whole_file or printed <= sections, sorted(printed - sections)
