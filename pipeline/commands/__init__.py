"""Command modules attached to the ``casereview`` group in ``pipeline.cli``."""
