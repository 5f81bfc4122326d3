"""Serializer helpers shared by the apps' APIs."""

from __future__ import annotations

from typing import Any

from django.core.validators import slug_re
from rest_framework import serializers
from rest_framework.settings import api_settings

from descent.ids import MAX_ID

# However many unknown keys a body has, the error lists this many (keys clipped) and counts
# the rest: 20,000 junk keys answer a few hundred bytes, not megabytes.
MAX_UNKNOWN_SHOWN = 20
MAX_KEY_SHOWN = 40


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that rejects unknown keys (CONTRACT: a typo never passes silently)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [key for key in data if key not in self.fields]
            if unknown:
                known = ", ".join(sorted(self.fields))
                errors: dict[str, list[str]] = {
                    key[:MAX_KEY_SHOWN]: [f"unknown field; this endpoint takes {known}"]
                    for key in sorted(unknown[:1000])[:MAX_UNKNOWN_SHOWN]
                }
                if len(unknown) > MAX_UNKNOWN_SHOWN:
                    errors[api_settings.NON_FIELD_ERRORS_KEY] = [
                        f"...and {len(unknown) - MAX_UNKNOWN_SHOWN:,} more unknown fields "
                        "(not listed)"]
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class BoundedDictField(serializers.DictField):
    """A DictField that refuses more than `max_keys` keys before checking any of them."""

    def __init__(self, *, max_keys: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_keys = max_keys

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and len(data) > self.max_keys:
            raise serializers.ValidationError(
                f"at most {self.max_keys} keys; this has {len(data):,}")
        return super().to_internal_value(data)


class BoundedListField(serializers.ListField):
    """A ListField that refuses more than `max_length` items before checking any of them."""

    def to_internal_value(self, data: Any) -> Any:
        if (self.max_length is not None and isinstance(data, list)
                and len(data) > self.max_length):
            raise serializers.ValidationError(
                f"at most {self.max_length} items; this has {len(data):,}")
        return super().to_internal_value(data)


class IdField(serializers.IntegerField):
    """An IntegerField for a row id: 1 to 2**63 − 1, so that no id overflows the database."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class SlugLookupField(serializers.SlugRelatedField):
    """A SlugRelatedField that looks up only slug-shaped strings.

    Anything else (a NUL byte, which PostgreSQL refuses in any text, markup, a number) is the
    field's "does not exist" 400 without a query.
    """

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not slug_re.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:40])
        return super().to_internal_value(data)
