"""The Textual user interface. `create_app` is the one factory the CLI, the demo and the tests use."""

from aztui.ui.app import AztuiApp, create_app

__all__ = ["AztuiApp", "create_app"]
