"""决定问答: cited answers over people's-congress decisions on procuratorial legal supervision.

    from assistant import Assistant
    a = Assistant.open()
    a.ask("公安机关需配合哪些事项")
"""

__version__ = "0.1.0"

from assistant.records import Answer, Citation
from ingest.records import Clause, Document
from store.records import Hit

__all__ = ["__version__", "Answer", "Assistant", "Citation", "Clause", "Document", "Hit", "Settings"]


def __getattr__(name: str):
    # Imported lazily so that `import assistant` stays cheap (no chromadb, no model).
    if name == "Assistant":
        from assistant.api import Assistant

        return Assistant
    if name == "Settings":
        from assistant.settings import Settings

        return Settings
    raise AttributeError(name)
