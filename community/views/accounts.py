"""Account pages: sign up, log in (throttled), API token management."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from community.errors import InvalidInput, TooManyRequests, TooManyResetRequests
from community.forms import SignupForm, ThrottledAuthenticationForm
from community.services.accounts import user_register
from community.services.password_resets import password_reset_request
from community.services.tokens import token_get_or_create, token_regenerate, token_revoke
from community.views.common import safe_next
from descent.client_address import client_address


class LoginView(auth_views.LoginView):
    """Django's log-in page with the throttled form; a blocked attempt answers 429."""

    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, throttled per address and per email (429 with Retry-After)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            password_reset_request(ip=client_address(self.request.META),
                                   email=form.cleaned_data["email"])
        except TooManyResetRequests as exc:
            form.add_error(None, f"Too many reset requests. Try again in {_minutes(exc)}.")
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().form_valid(form)


def _minutes(exc: TooManyRequests) -> str:
    minutes = max(1, round(exc.retry_after / 60))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and log straight in."""
    if request.user.is_authenticated:
        return redirect("profile", username=request.user.username)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(**form.cleaned_data)
        except InvalidInput as exc:
            for message in exc.messages:
                form.add_error(exc.field, message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Descent, {user.username}.")
            return redirect(safe_next(request, "/board/"))
    return render(request, "registration/signup.html",
                  {"form": form, "next": safe_next(request, "")})


@login_required
@require_POST
def token_action(request: HttpRequest, action: str) -> HttpResponse:
    """Create, regenerate or revoke the builder's API token, then go back to the profile."""
    if action == "create":
        token = token_get_or_create(user=request.user)
        messages.success(request, f"Your API token: {token.key}")
    elif action == "regenerate":
        token = token_regenerate(user=request.user)
        messages.success(request, f"Your new API token: {token.key} (the old one no longer works)")
    elif action == "revoke":
        if token_revoke(user=request.user):
            messages.success(request, "Your API token was revoked.")
    return redirect(reverse("profile", args=[request.user.username]) + "#api-token")
