from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.forms import LoginForm, RegisterForm
from accounts.services import LOCKOUT, login_attempt, login_attempts_left, user_register
from common.elderly import ELDERLY_COOKIE
from common.errors import ApplicationError
from common.forms import add_application_error, form_status

ONE_YEAR = 365 * 24 * 3600


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_attempt(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                ip=request.META.get("REMOTE_ADDR"),
            )
        except ApplicationError as error:
            add_application_error(form, error, {"password": "password"})
            if error.code == "not_authenticated":
                # Under the password, where the reader types next, and in the error summary.
                form.add_error("password", _lockout_warning(form.cleaned_data["identifier"]))
        else:
            login(request, user)
            return redirect(_safe_next(request, "/"))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=form_status(form),
    )


def _lockout_warning(identifier: str) -> str:
    """Said after every failed sign-in, before the lockout comes, counted as the lockout counts."""
    left = login_attempts_left(identifier=identifier)
    minutes = int(LOCKOUT.total_seconds() // 60)
    if left == 0:
        return ngettext(
            "Sign-in is now locked for %(minutes)d minute. Please try again later or ask the counter.",
            "Sign-in is now locked for %(minutes)d minutes. Please try again later or ask the counter.",
            minutes,
        ) % {"minutes": minutes}
    return ngettext(
        "%(left)d more failed attempt will lock sign-in for %(minutes)d minutes.",
        "%(left)d more failed attempts will lock sign-in for %(minutes)d minutes.",
        left,
    ) % {"left": left, "minutes": minutes}


def register_view(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_register(
                id_number=data["id_number"], name=data["name"], phone=data["phone"], password=data["password"]
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. Your account is ready."))
            return redirect("home")
    return render(request, "accounts/register.html", {"form": form}, status=form_status(form))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@require_POST
def elderly_mode_view(request: HttpRequest) -> HttpResponse:
    """Large type and high contrast, remembered in a cookie (it holds no personal data)."""
    response = redirect(_safe_next(request))
    if request.POST.get("on") == "1":
        response.set_cookie(ELDERLY_COOKIE, "1", max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure())
    else:
        response.delete_cookie(ELDERLY_COOKIE, samesite="Lax")
    return response
