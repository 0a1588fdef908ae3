"""No shell command line is ever built from profile values: every subprocess gets an argument
list. A static check over the package's source, so a later change cannot slip one in."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "rcontainer"


def calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def test_no_subprocess_runs_through_a_shell():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for call in calls(tree):
            func = ast.unparse(call.func)
            if func in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"):
                offenders.append(f"{path.name}:{call.lineno}: {func}")
            for kw in call.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    offenders.append(f"{path.name}:{call.lineno}: shell={ast.unparse(kw.value)}")
            if (
                func.startswith("subprocess.")
                and call.args
                and isinstance(call.args[0], (ast.Constant, ast.JoinedStr))
            ):
                offenders.append(f"{path.name}:{call.lineno}: a command string, not an argument list")
    assert offenders == []


def test_the_check_sees_a_shell_call(tmp_path):
    # the check above must be able to fail
    tree = ast.parse("import subprocess\nsubprocess.run('ls ' + x, shell=True)\n")
    found = [kw for call in calls(tree) for kw in call.keywords if kw.arg == "shell"]
    assert found and found[0].value.value is True
