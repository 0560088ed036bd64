"""Record mode: a live run that also writes every Bedrock call to a cassette for replay mode.

The hooks are :class:`local_bedrock.replay.Recorder`, shared with
``local_bedrock.testing.record_bedrock``; ``utils.setup`` installs them in record mode.
"""

from local_bedrock.replay import RECORDED_SERVICES, Recorder

__all__ = ["RECORDED_SERVICES", "Recorder"]
