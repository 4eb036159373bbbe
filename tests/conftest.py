import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
XIZANG = CORPUS / "xizang-2024-jiancha-jiandu.md"
HUHEHAOTE = CORPUS / "huhehaote-2023-jiancha-jiandu.txt"
SHARED = ROOT.parent / "shared"
LAWREFBOOK = SHARED / "corpora" / "lawrefbook"
SHANDONG = (
    LAWREFBOOK / "DLC" / "山东地方法规" / "地方性法规" / "山东"
    / "山东省人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决议(2019-09-27).md"
)

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """No test may write to the user's data dir: point the default there at a tmp dir."""
    monkeypatch.setenv("JUEDING_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory):
    """An index of the bundled corpus built once per test session with the real bundled model."""
    from assistant import Assistant

    index_dir = tmp_path_factory.mktemp("seed-index")
    with Assistant.open(index_dir=index_dir):
        pass
    return index_dir


@pytest.fixture()
def seed_assistant(seed_index_dir):
    from assistant import Assistant

    with Assistant.open(index_dir=seed_index_dir) as assistant:
        yield assistant
