"""The error types every stage shares, defined once (one spelling: ``Cancelled``).

Stage-specific failures keep their own classes beside their stage
(``pipeline.PipelineError``, ``models.ModelError``, ``refdb.DatabaseError``).
"""


class Cancelled(Exception):
    """The caller's is_canceled() returned True."""


class ImageError(Exception):
    """An image that cannot be used; str(exc) is the reason shown to the user."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
