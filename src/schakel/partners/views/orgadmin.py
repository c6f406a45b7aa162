"""Organisation administrators manage their own organisation's users; nobody else's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user

from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.errors import SchakelError
from schakel.partners import services
from schakel.partners.forms import UserForm
from schakel.partners.models import User
from schakel.partners.vocabulary import Role


def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if Role.ORG_ADMIN not in user.roles or user.organisation is None:
        # Not an administrator: these pages do not exist for them.
        raise Http404
    return user


def _send_invitation(request: HttpRequest, user: User) -> None:
    link = request.build_absolute_uri(
        reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    )
    body = render_to_string(
        "partners/email/invitation.txt",
        {"user": user, "link": link, "organisation": user.organisation},
    )
    send_mail(_("Your Schakel account"), body, None, [user.email])


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    users = list(services.manageable_users(admin).order_by("last_name", "first_name", "username"))
    with_device = set(
        User.objects.filter(pk__in=[u.pk for u in users], totpdevice__confirmed=True).values_list(
            "pk", flat=True
        )
    )
    audit.record_read(request, "partners.user", [u.pk for u in users], purpose="administration")
    return render(
        request,
        "partners/orgadmin/user_list.html",
        {"users": users, "with_device": with_device, "organisation": admin.organisation},
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                admin.organisation,
                data["username"],
                roles=data["roles"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                actor=admin,
                request=request,
            )
        except SchakelError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            _send_invitation(request, user)
            messages.success(
                request,
                _("%(name)s was added and received an e-mail to set a password.") % {"name": user},
            )
            return redirect("orgadmin_users")
    return render(request, "partners/orgadmin/user_form.html", {"form": form, "subject": None})


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    subject = get_visible_or_404(admin, User.objects.prefetch_related("role_set"), "manage", pk=pk)
    initial = {
        "first_name": subject.first_name,
        "last_name": subject.last_name,
        "email": subject.email,
        "roles": sorted(subject.roles),
    }
    form = UserForm(request.POST or None, initial=initial, user=subject)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_user(
                subject,
                actor=admin,
                request=request,
                roles=data["roles"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except SchakelError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("The changes to %(name)s were saved.") % {"name": subject})
            return redirect("orgadmin_users")
    audit.record_read(request, "partners.user", [subject.pk], purpose="administration")
    has_device = any(True for _ in devices_for_user(subject))
    return render(
        request,
        "partners/orgadmin/user_form.html",
        {"form": form, "subject": subject, "has_device": has_device},
    )


@login_required
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    subject = get_visible_or_404(admin, User, "manage", pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_user_active(subject, active, actor=admin, request=request)
    except SchakelError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            (_("%(name)s can sign in again.") if active else _("%(name)s can no longer sign in."))
            % {"name": subject},
        )
    return redirect("orgadmin_users")


@login_required
@require_POST
def user_reset_two_factor(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    subject = get_visible_or_404(admin, User, "manage", pk=pk)
    services.reset_two_factor(subject, actor=admin, request=request)
    messages.success(
        request,
        _(
            "Two-factor authentication of %(name)s was reset; they set it "
            "up again at their next sign-in."
        )
        % {"name": subject},
    )
    return redirect("orgadmin_users")


@login_required
@require_POST
def user_resend_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    subject = get_visible_or_404(admin, User, "manage", pk=pk)
    if not subject.email:
        messages.error(request, _("%(name)s has no e-mail address.") % {"name": subject})
    else:
        _send_invitation(request, subject)
        audit.record_change(request, "send_invitation", "partners.user", [subject.pk])
        messages.success(
            request, _("A new link to set a password was sent to %(name)s.") % {"name": subject}
        )
    return redirect("orgadmin_users")
