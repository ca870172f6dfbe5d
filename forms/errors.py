"""Errors raised by the forms package."""


class FormError(ValueError):
    """An XLSForm that cannot be used: unreadable, rejected by pyxform, or breaking our rules.

    ``problems`` lists every problem found, one plain sentence each, so an uploader can fix
    them all in one pass; ``str()`` is a one-line summary fit for a log or an HTTP message.
    """

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[str] = [" ".join(p.split()) for p in problems] or ["Invalid form."]
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        first = self.problems[0]
        extra = len(self.problems) - 1
        return first if not extra else f"{first} (and {extra} more problem{'s' * (extra > 1)})"
