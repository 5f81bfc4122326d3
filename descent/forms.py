"""Form fields shared by the pages of both apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import slug_re

from descent.api.parsers import JSONInputError, json_load


class JSONTextField(forms.CharField):
    """A textarea of JSON, read by `json_load` under the API's limits.

    Whatever the text — not JSON, nested thousands deep, a 5,000-digit integer, `1e999` — the
    field answers a form error that names the path and the fix, never an exception.
    """

    def __init__(self, *, root: str, **kwargs: Any) -> None:
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)
        self.root = root

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        try:
            return json_load(text, root=self.root)
        except JSONInputError as exc:
            raise forms.ValidationError([
                message if path == self.root else f"{path}: {message}"
                for path, messages in exc.errors.items() for message in messages
            ]) from exc


class SlugChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a slug that never queries for a value that is not a slug.

    PostgreSQL refuses a NUL byte in any text: without this, a forged `\x00` choice is a 500.
    """

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not slug_re.match(str(value)):
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice")
        return super().to_python(value)
