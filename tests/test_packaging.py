"""The built wheel works outside the checkout: console script, bundled corpus, prompts, app module.

The wheel is built offline (`pip wheel --no-deps --no-build-isolation`) from a copy of the source tree and
installed with `--no-deps` into a fresh venv whose only other path is this environment's site-packages
(a .pth line: no network, and no checkout on sys.path). The seed question asked through `jueding-qa ask`
must cite 西藏 第十六条 and 呼和浩特 第十一条.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "out",
                              "test-artifacts", ".pytest_cache", "shared")


def _run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    wheels = tmp / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", str(wheels), str(source)])
    (wheel,) = wheels.glob("jueding_qa-*.whl")

    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_jueding_deps.pth").write_text("\n".join(ours) + "\n")  # the dependencies, without their .pth files
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--ignore-installed", "-q", str(wheel)])

    home = tmp / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUEDING_", "OPENAI_")) and k != "PYTHONPATH"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), OMP_NUM_THREADS="1")
    return {"python": python, "script": env_dir / "bin" / "jueding-qa", "env": env, "cwd": home, "site": site}


def test_wheel_has_the_data_and_the_app(installed):
    code = ("import assistant, app, assistant.settings as s, assistant.llm as l; "
            "print(assistant.__file__); print(app.__file__); print(s.BUNDLED_CORPUS); print(assistant.__version__); "
            "print(sorted(p.name for p in s.BUNDLED_CORPUS.iterdir())); print(l.load_prompt('answer_system.md')[:20])")
    out = _run([str(installed["python"]), "-c", code], env=installed["env"], cwd=installed["cwd"]).stdout.splitlines()
    site = str(installed["site"])
    assert out[0].startswith(site) and out[1].startswith(site) and out[2].startswith(site), out
    assert out[3] == "0.1.0"
    assert "xizang-2024-jiancha-jiandu.md" in out[4] and "huhehaote-2023-jiancha-jiandu.txt" in out[4]
    assert out[5].strip()
    assert (installed["site"] / "assistant" / "py.typed").exists()


def test_console_script_answers_the_seed_question(installed):
    result = _run([str(installed["script"]), "ask", "公安机关需配合哪些事项", "--mode", "extractive", "--json"],
                  env=installed["env"], cwd=installed["cwd"], timeout=600)
    answer = json.loads(result.stdout)
    cited = {(c["region"], c["article"]) for c in answer["citations"]}
    assert not answer["refused"]
    assert ("西藏自治区", 16) in cited and ("呼和浩特市", 11) in cited, cited
    assert "第十六条" in answer["text"] and "第十一条" in answer["text"]


def test_console_script_lists_its_commands_and_rejects_bad_settings(installed):
    out = _run([str(installed["script"]), "--help"], env=installed["env"], cwd=installed["cwd"]).stdout
    assert all(c in out for c in ("serve", "ask", "ingest", "evaluate"))
    listed = _run([str(installed["script"]), "ingest", "list"], env=installed["env"], cwd=installed["cwd"]).stdout
    assert "西藏" in listed and "呼和浩特" in listed
    bad = subprocess.run([str(installed["script"]), "ask", "x"], capture_output=True, text=True,
                         env={**installed["env"], "JUEDING_K": "abc"}, cwd=installed["cwd"])
    assert bad.returncode != 0 and "JUEDING_K='abc'" in bad.stderr


def test_console_script_in_llm_mode_sends_the_packaged_prompt(installed):
    from llm_server import ScriptedLLM

    with ScriptedLLM() as llm:
        llm.replies = ["- 公安机关应当及时办理检察机关移送的涉嫌犯罪线索。[S1]"]
        env = {**installed["env"], "JUEDING_LLM_BASE_URL": llm.base_url, "JUEDING_LLM_MODEL": "scripted"}
        result = _run([str(installed["script"]), "ask", "公安机关需配合哪些事项", "--mode", "llm", "--json"],
                      env=env, cwd=installed["cwd"], timeout=600)
        answer = json.loads(result.stdout)
        system = llm.requests[-1]["messages"][0]["content"]
    assert answer["mode"] == "llm" and not answer["refused"] and answer["citations"]
    assert system == (ROOT / "prompts" / "answer_system.md").read_text(encoding="utf-8")
