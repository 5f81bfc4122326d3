"""Page forms: sign-up, a throttled log-in, threads, replies, reports, moderation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from community.models import Category
from community.services.login_attempts import (
    client_ip,
    login_failure_record,
    login_failures_clear,
    login_retry_after,
)


class SignupForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False, help_text="Optional; needed to reset a password.")
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's log-in form, refusing after 5 failures per username and address in 15 min."""

    throttled = False

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request.META if self.request else {})
        retry_after = login_retry_after(username=username, ip=ip)
        if retry_after:
            self.throttled = True
            minutes = max(1, round(retry_after / 60))
            raise forms.ValidationError(
                f"Too many failed log-in attempts for this account from your address. "
                f"Try again in about {minutes} minute{'s' if minutes != 1 else ''}.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                login_failure_record(username=username, ip=ip)
            raise
        login_failures_clear(username=username, ip=ip)
        return cleaned


class ThreadForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), to_field_name="slug")
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), help_text="Markdown.")
    run = forms.IntegerField(required=False, help_text="Attach one of your runs (its id).")


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown.")


class ReportForm(forms.Form):
    reason = forms.CharField(max_length=500)


class HideForm(forms.Form):
    reason = forms.CharField(max_length=300)
