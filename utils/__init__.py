"""Shared helpers for the Bedrock LLMOps workshop notebooks.

First cell of every notebook:

    import utils
    ws = utils.setup()      # live, offline (default without AWS credentials), replay or record
"""

IS_WORKSHOP_UTILS = True  # lets setup() prove `import utils` found this package

from utils import display, metrics, models  # noqa: E402
from utils.display import table, text_of  # noqa: E402
from utils.setup import current, setup, teardown  # noqa: E402

__all__ = ["setup", "teardown", "current", "models", "metrics", "display", "table",
           "text_of"]
