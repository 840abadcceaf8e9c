"""The Textual app driven by Pilot, and its SVG snapshots."""
