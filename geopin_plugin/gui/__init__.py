"""Qt widgets of the plugin: dock panel, match viewer, dependency installer."""
