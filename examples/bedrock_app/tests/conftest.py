import pytest

# The local_bedrock fixtures. An installed local_bedrock registers them itself (entry point
# pytest11); naming the plugin here too keeps them when PYTEST_DISABLE_PLUGIN_AUTOLOAD=1.
pytest_plugins = ["local_bedrock.pytest_plugin"]


@pytest.fixture(autouse=True)
def cold_start():
    """Each test starts like a fresh Lambda container: no cached Bedrock client."""
    from summary_app import handler

    handler._client = None
    yield
    handler._client = None
