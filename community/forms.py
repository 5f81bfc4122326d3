"""Page forms: sign-up, a throttled log-in, threads, replies, reports, moderation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from community.errors import InvalidInput, TooManyLoginAttempts
from community.models import Category
from community.services.login_attempts import login_attempt
from descent.forms import SlugChoiceField
from descent.ids import MAX_ID


class SignupForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False, help_text="Optional; needed to reset a password.")
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's log-in form, throttled by `login_attempt` (per username and address, and per
    address); `retry_after` is set when it refused."""

    retry_after = 0

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data  # the missing field has its own error
        try:
            self.user_cache = login_attempt(request=self.request, username=username,
                                            password=password)
        except TooManyLoginAttempts as exc:
            self.retry_after = exc.retry_after
            minutes = max(1, round(exc.retry_after / 60))
            raise forms.ValidationError(
                f"Too many failed log-in attempts from your address. "
                f"Try again in about {minutes} minute{'s' if minutes != 1 else ''}.",
                code="throttled",
            ) from exc
        except InvalidInput as exc:
            raise self.get_invalid_login_error() from exc
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ThreadForm(forms.Form):
    category = SlugChoiceField(queryset=Category.objects.all(), to_field_name="slug")
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), help_text="Markdown.")
    run = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                             help_text="Attach one of your runs (its id); attaching makes its "
                                       "spec public.")


def run_picker(choices: list[tuple[int, str]]) -> forms.TypedChoiceField:
    """Return the thread form's run field as a list of the poster's runs (no ids to type)."""
    return forms.TypedChoiceField(
        choices=[("", "No run attached"), *choices], coerce=int, empty_value=None,
        required=False, label="Attach a run",
        help_text="Its card shows in your post, and attaching makes the run's spec public.")


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown.")


class ReportForm(forms.Form):
    reason = forms.CharField(max_length=500)


class HideForm(forms.Form):
    reason = forms.CharField(max_length=300)
