"""Profile pages: /u/<username>/."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from rest_framework.authtoken.models import Token

from community.models import User
from community.profile_sections import profile_sections_for
from community.selectors.board import posts_by_author


def profile(request: HttpRequest, username: str) -> HttpResponse:
    """Show a builder: date joined, posts, and the sections other apps registered."""
    builder = get_object_or_404(User, username=username, is_active=True)
    viewer = request.user if request.user.is_authenticated else None
    posts = Paginator(posts_by_author(author=builder), 20).get_page(request.GET.get("page"))
    context = {
        "builder": builder,
        "posts": posts,
        "sections": profile_sections_for(profile_user=builder, viewer=viewer),
        "is_self": viewer is not None and viewer.pk == builder.pk,
    }
    if context["is_self"]:
        context["token"] = Token.objects.filter(user=builder).first()
    return render(request, "community/profile.html", context)
