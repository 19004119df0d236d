"""Writes for licensing: the application workflow and the licence's life. Each is one transaction
that locks the row it changes, checks the state it leaves, and writes its audit event."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cvas.accounts.choices import MembershipRole, StaffRole
from cvas.accounts.models import Organisation
from cvas.accounts.principal import Principal
from cvas.audit.services import audit_record, snapshot
from cvas.core.actors import Actor
from cvas.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from cvas.core.netaddr import parse_public_prefix
from cvas.core.timeutil import add_years, pk_today
from cvas.jobs.services import notify
from cvas.licensing.choices import (
    EDITABLE_APPLICATION_STATES,
    ApplicationState,
    Declaration,
    DocumentKind,
    LicenceAction,
    LicenceStatus,
)
from cvas.licensing.documents import check_pdf, safe_display_name
from cvas.licensing.models import (
    Application,
    ApplicationDocument,
    ApplicationTransition,
    Brand,
    BrandDomain,
    Licence,
    LicenceEvent,
    LicenceNumberSequence,
    Regime,
)
from cvas.licensing.normalise import brand_key, domain_normalise
from cvas.licensing.selectors import application_missing, regime_in_force

S = ApplicationState
APPLICATION_FIELDS = (
    "service_description",
    "brands",
    "gateway_prefixes",
    "declarations",
    "fee_payment_reference",
)
MAX_BRANDS = 20
MAX_PREFIXES = 256
_FEE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-. ]{2,63}$")
_OFFICIAL_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-. ]{2,62}[A-Za-z0-9]$")


# -- messages in the request's language (the API, the worker and commands run in English) -------


def _state(app: Application) -> str:
    """The application's state as a word in a sentence ("under review")."""
    return _(app.get_state_display()).lower()


def _status(lic: Licence) -> str:
    """The licence's status as a word in a sentence ("suspended")."""
    return _(lic.get_status_display()).lower()


def _number(lic: Licence) -> str:
    return lic.number or _("not published")


def _allowed(choices: Any, values: set[str]) -> str:
    """The states an action is allowed from, in English order, each in the current language."""
    return ", ".join(_(label).lower() for label in sorted(choices(v).label for v in values))


def _regime_name(regime: Regime) -> str:
    """The regime's name in the current language when it has one there, else in English."""
    if (translation.get_language() or "en").split("-")[0] == "ur" and regime.name_ur:
        return regime.name_ur
    return regime.name_en


# One whole sentence per refused move: `_move`'s action -> message (%(ref)s, %(state)s, %(allowed)s
# are the application's reference, its state and the states the move is allowed from).
_MOVE_REFUSED = {
    "submitted": gettext_lazy("%(ref)s is %(state)s; it can be submitted only when %(allowed)s."),
    "taken under review": gettext_lazy(
        "%(ref)s is %(state)s; it can be taken under review only when %(allowed)s."
    ),
    "asked for information": gettext_lazy(
        "%(ref)s is %(state)s; it can be asked for information only when %(allowed)s."
    ),
    "resubmitted": gettext_lazy(
        "%(ref)s is %(state)s; it can be resubmitted only when %(allowed)s."
    ),
    "withdrawn": gettext_lazy("%(ref)s is %(state)s; it can be withdrawn only when %(allowed)s."),
    "rejected": gettext_lazy("%(ref)s is %(state)s; it can be rejected only when %(allowed)s."),
    "approved": gettext_lazy("%(ref)s is %(state)s; it can be approved only when %(allowed)s."),
}
# `_licence_move`'s action -> message (%(number)s, %(status)s, %(allowed)s: the licence's number,
# its status and the statuses the action is allowed from).
_LICENCE_MOVE_REFUSED = {
    LicenceAction.SUSPEND: gettext_lazy(
        "Licence %(number)s is %(status)s; it can be suspended only when %(allowed)s."
    ),
    LicenceAction.REINSTATE: gettext_lazy(
        "Licence %(number)s is %(status)s; it can be reinstated only when %(allowed)s."
    ),
    LicenceAction.REVOKE: gettext_lazy(
        "Licence %(number)s is %(status)s; it can be revoked only when %(allowed)s."
    ),
    LicenceAction.SURRENDER: gettext_lazy(
        "Licence %(number)s is %(status)s; it can be surrendered only when %(allowed)s."
    ),
    LicenceAction.EXPIRE: gettext_lazy(
        "Licence %(number)s is %(status)s; it can be expired only when %(allowed)s."
    ),
}
# `_require_reason`'s purpose -> message (%(field)s: the field's name, kept in English).
_REASON_REQUIRED = {
    "approve": gettext_lazy("%(field)s: a reason is required to approve"),
    "reject": gettext_lazy("%(field)s: a reason is required to reject"),
    "request information": gettext_lazy("%(field)s: a reason is required to request information"),
    "suspend": gettext_lazy("%(field)s: a reason is required to suspend"),
    "reinstate": gettext_lazy("%(field)s: a reason is required to reinstate"),
    "revoke": gettext_lazy("%(field)s: a reason is required to revoke"),
    "surrender": gettext_lazy("%(field)s: a reason is required to surrender"),
    "renew": gettext_lazy("%(field)s: a reason is required to renew"),
    "resubmit (give your answer)": gettext_lazy(
        "%(field)s: a response is required to resubmit (give your answer)"
    ),
}


# -- application content -------------------------------------------------------------------------


def _clean_brands(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidInput(
            _("brands: expected a list"),
            details=[{"field": "brands", "reason": "expected a list"}],
        )
    if len(value) > MAX_BRANDS:
        raise InvalidInput(
            _("brands: at most %(max)s") % {"max": MAX_BRANDS},
            details=[{"field": "brands", "reason": "too many"}],
        )
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"brands[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise InvalidInput(
                # Translators: %(field)s is a field's name such as brands[0] (kept in English).
                _("%(field)s: expected an object with a name") % {"field": where},
                details=[{"field": where, "reason": "expected an object"}],
            )
        name = " ".join(str(item.get("name", "")).split())
        if not name or not brand_key(name):
            raise InvalidInput(
                _("%(field)s: required") % {"field": f"{where}.name"},
                details=[{"field": f"{where}.name", "reason": "required"}],
            )
        if len(name) > 120:
            raise InvalidInput(
                _("%(field)s: at most 120 characters") % {"field": f"{where}.name"},
                details=[{"field": f"{where}.name", "reason": "too long"}],
            )
        key = brand_key(name)
        if key in seen:
            raise InvalidInput(
                # Translators: %(field)s is a field's name (kept in English); %(name)s a brand name.
                _("%(field)s: %(name)s is listed twice") % {"field": f"{where}.name", "name": name},
                details=[{"field": f"{where}.name", "reason": "duplicate"}],
            )
        seen.add(key)
        websites_raw = item.get("websites") or []
        if isinstance(websites_raw, str):
            websites_raw = [w for w in re.split(r"[\s,]+", websites_raw) if w]
        websites = sorted(
            {
                domain_normalise(str(w), field=f"{where}.websites[{j}]")
                for j, w in enumerate(websites_raw)
            }
        )
        apps_raw = item.get("app_identifiers") or []
        if isinstance(apps_raw, str):
            apps_raw = [a for a in re.split(r"[\s,]+", apps_raw) if a]
        apps = sorted({str(a).strip()[:200] for a in apps_raw if str(a).strip()})
        clean.append({"name": name, "websites": websites, "app_identifiers": apps})
    return clean


def _clean_prefixes(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,]+", value) if v]
    if not isinstance(value, list):
        raise InvalidInput(
            _("gateway_prefixes: expected a list"),
            details=[{"field": "gateway_prefixes", "reason": "expected a list"}],
        )
    if len(value) > MAX_PREFIXES:
        raise InvalidInput(
            _("gateway_prefixes: at most %(max)s") % {"max": MAX_PREFIXES},
            details=[{"field": "gateway_prefixes", "reason": "too many"}],
        )
    nets = [
        parse_public_prefix(str(v), field=f"gateway_prefixes[{i}]") for i, v in enumerate(value)
    ]
    unique = sorted(set(nets), key=lambda n: (n.version, n.network_address, n.prefixlen))
    return [str(n) for n in unique]


def _clean_declarations(value: Any) -> dict[str, bool]:
    if not isinstance(value, dict):
        raise InvalidInput(
            _("declarations: expected an object"),
            details=[{"field": "declarations", "reason": "expected an object"}],
        )
    unknown = [k for k in value if k not in Declaration.values]
    if unknown:
        raise InvalidInput(
            # Translators: %(unknown)s and %(known)s list declarations' machine names (in English).
            _("declarations: unknown %(unknown)s; known: %(known)s")
            % {"unknown": ", ".join(unknown), "known": ", ".join(Declaration.values)},
            details=[
                {"field": f"declarations.{k}", "reason": _("unknown declaration")} for k in unknown
            ],
        )
    return {k: bool(v) for k, v in value.items()}


def _clean_content(data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if key not in APPLICATION_FIELDS:
            raise InvalidInput(
                _("%(field)s: not a field of an application") % {"field": key},
                details=[{"field": key, "reason": "unknown field"}],
            )
        if key == "service_description":
            text = str(value or "").strip()
            if len(text) > 10000:
                raise InvalidInput(
                    _("service_description: at most 10,000 characters"),
                    details=[{"field": key, "reason": "too long"}],
                )
            clean[key] = text
        elif key == "brands":
            clean[key] = _clean_brands(value)
        elif key == "gateway_prefixes":
            clean[key] = _clean_prefixes(value)
        elif key == "declarations":
            clean[key] = _clean_declarations(value)
        elif key == "fee_payment_reference":
            ref = str(value or "").strip()
            if ref and not _FEE_REF.match(ref):
                raise InvalidInput(
                    _(
                        "fee_payment_reference: letters, digits, '/', '-', '.' and spaces, "
                        "3 to 64 characters"
                    ),
                    details=[{"field": key, "reason": "malformed reference"}],
                )
            clean[key] = ref
    return clean


def _notify_applicant(app: Application, subject: str, body: str) -> None:
    recipients = [app.created_by.email, app.organisation.contact_email]
    link = f"{settings.SITE_URL}/portal/applications/{app.pk}/"
    notify(
        recipients=recipients,
        subject=f"[CVAS Registry] {app.reference}: {subject}",
        body=f"{body}\n\n{link}\n",
    )


@transaction.atomic
def application_create(
    *,
    principal: Principal,
    organisation: Organisation,
    data: dict[str, Any] | None = None,
    is_demo: bool = False,
) -> Application:
    principal.require_scope("write")
    principal.require_member(organisation)
    assert principal.user is not None
    content = _clean_content(data or {})
    app = Application.objects.create(
        reference=f"TMP-{timezone.now().timestamp()}",
        organisation=organisation,
        created_by=principal.user,
        is_demo=is_demo or organisation.is_demo,
        **content,
    )
    app.reference = f"APP-{app.created_at.year}-{app.pk:06d}"
    app.save(update_fields=["reference"])
    ApplicationTransition.objects.create(
        application=app,
        from_state="",
        to_state=S.DRAFT,
        actor=principal.user,
        actor_label=principal.actor.label,
    )
    audit_record(actor=principal.actor, action="application.create", obj=app, after=snapshot(app))
    return app


def _lock(app: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("organisation", "created_by")
        .get(pk=app.pk)
    )


@transaction.atomic
def application_update(
    *, principal: Principal, application: Application, data: dict[str, Any]
) -> Application:
    principal.require_scope("write")
    principal.require_member(application.organisation_id)
    app = _lock(application)
    if app.state not in EDITABLE_APPLICATION_STATES:
        raise IllegalTransition(
            _(
                # Translators: %(ref)s is the application's reference; %(state)s its state.
                "%(ref)s is %(state)s; it can be edited only as a draft or while information "
                "is requested."
            )
            % {"ref": app.reference, "state": _state(app)}
        )
    content = _clean_content(data)
    before = snapshot(app)
    for key, value in content.items():
        setattr(app, key, value)
    app.updated_at = timezone.now()
    app.save()
    audit_record(
        actor=principal.actor,
        action="application.update",
        obj=app,
        before=before,
        after=snapshot(app),
    )
    return app


@transaction.atomic
def document_add(
    *, principal: Principal, application: Application, kind: str, upload: UploadedFile
) -> ApplicationDocument:
    principal.require_scope("write")
    principal.require_member(application.organisation_id)
    app = _lock(application)
    if app.state not in EDITABLE_APPLICATION_STATES:
        raise IllegalTransition(
            # Translators: %(ref)s is the application's reference; %(state)s its state.
            _("%(ref)s is %(state)s; documents can no longer be added.")
            % {"ref": app.reference, "state": _state(app)}
        )
    if kind not in DocumentKind.values:
        raise InvalidInput(
            # Translators: %(kind)r is the value given, in quotes; %(known)s the accepted values.
            _("kind: unknown document kind %(kind)r; one of %(known)s")
            % {"kind": kind, "known": ", ".join(DocumentKind.values)},
            details=[{"field": "kind", "reason": "unknown document kind"}],
        )
    if upload.file is None:
        raise InvalidInput(_("file: required"), details=[{"field": "file", "reason": "required"}])
    sha = check_pdf(upload.file, size=upload.size or 0)
    assert principal.user is not None
    doc = ApplicationDocument(
        application=app,
        kind=kind,
        original_name=safe_display_name(upload.name or "document.pdf"),
        size=upload.size or 0,
        sha256=sha,
        uploaded_by=principal.user,
    )
    doc.file.save("document.pdf", upload, save=False)
    try:
        doc.save()
    except Exception:
        doc.file.delete(save=False)
        raise
    audit_record(
        actor=principal.actor,
        action="application.document_add",
        obj=doc,
        after=snapshot(doc, ["application", "kind", "original_name", "size", "sha256"]),
    )
    return doc


@transaction.atomic
def document_remove(*, principal: Principal, document: ApplicationDocument) -> None:
    """Mark a document removed (the file is kept: the record is never silently lost)."""
    principal.require_scope("write")
    principal.require_member(document.application.organisation_id)
    app = _lock(document.application)
    if app.state not in EDITABLE_APPLICATION_STATES:
        raise IllegalTransition(
            # Translators: %(ref)s is the application's reference; %(state)s its state.
            _("%(ref)s is %(state)s; documents can no longer be removed.")
            % {"ref": app.reference, "state": _state(app)}
        )
    if document.removed_at is not None:
        return
    before = snapshot(document, ["kind", "original_name", "removed_at"])
    document.removed_at = timezone.now()
    document.save(update_fields=["removed_at"])
    audit_record(
        actor=principal.actor,
        action="application.document_remove",
        obj=document,
        before=before,
        after=snapshot(document, ["kind", "original_name", "removed_at"]),
    )


def _move(
    app: Application,
    *,
    to: str,
    allowed_from: set[str],
    principal: Principal,
    reason: str,
    action: str,
) -> Application:
    if app.state not in allowed_from:
        allowed = _allowed(ApplicationState, allowed_from)
        raise IllegalTransition(
            str(_MOVE_REFUSED[action])
            % {"ref": app.reference, "state": _state(app), "allowed": allowed},
            details=[{"field": "state", "reason": f"is {app.state}"}],
        )
    before = snapshot(app)
    from_state = app.state
    app.state = to
    app.updated_at = timezone.now()
    app.save()
    ApplicationTransition.objects.create(
        application=app,
        from_state=from_state,
        to_state=to,
        actor=principal.user,
        actor_label=principal.actor.label,
        reason=reason,
    )
    audit_record(
        actor=principal.actor,
        action=f"application.{to}",
        obj=app,
        before=before,
        after=snapshot(app),
        reason=reason,
    )
    return app


def _require_reason(reason: str, what: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(
            str(_REASON_REQUIRED[what]) % {"field": field},
            details=[{"field": field, "reason": "required"}],
        )
    return text


def _check_brands_free(app: Application) -> None:
    for i, item in enumerate(app.brands):
        other = (
            Brand.objects.filter(name_key=brand_key(item["name"]))
            .exclude(organisation=app.organisation)
            .first()
        )
        if other is not None:
            raise Conflict(
                # Translators: %(field)s is a field's name (kept in English); %(name)s a brand name.
                _("%(field)s: %(name)s is already registered to another provider.")
                % {"field": f"brands[{i}].name", "name": item["name"]},
                code="brand_taken",
                details=[
                    {"field": f"brands[{i}].name", "reason": "registered to another provider"}
                ],
            )
        for j, website in enumerate(item.get("websites", [])):
            taken = (
                BrandDomain.objects.filter(domain=website)
                .exclude(brand__organisation=app.organisation)
                .exists()
            )
            if taken:
                raise Conflict(
                    # Translators: %(field)s is a field's name (kept in English); %(website)s a
                    # web address.
                    _("%(field)s: %(website)s belongs to another provider's brand.")
                    % {"field": f"brands[{i}].websites[{j}]", "website": website},
                    code="domain_taken",
                    details=[
                        {
                            "field": f"brands[{i}].websites[{j}]",
                            "reason": "belongs to another provider",
                        }
                    ],
                )


@transaction.atomic
def application_submit(*, principal: Principal, application: Application) -> Application:
    principal.require_scope("write")
    principal.require_member(application.organisation_id)
    app = _lock(application)
    if app.state != S.DRAFT:
        _move(
            app,
            to=S.SUBMITTED,
            allowed_from={S.DRAFT},
            principal=principal,
            reason="",
            action="submitted",
        )
    missing = application_missing(app)
    if missing:
        raise InvalidInput(
            # Translators: %(ref)s is the application's reference; %(missing)s lists what is
            # missing, separated by semicolons.
            _("%(ref)s is not complete: %(missing)s")
            % {"ref": app.reference, "missing": "; ".join(m["reason"] for m in missing)},
            code="incomplete_application",
            details=missing,
        )
    today = pk_today()
    regime = regime_in_force(today)
    if regime is None or not regime.licensing_open:
        if regime is None:
            closed = _(
                "No regime in force on %(day)s grants CVAS-Data class licences (in force: none)."
            ) % {"day": f"{today:%Y-%m-%d}"}
        else:
            closed = _(
                # Translators: %(day)s is a date (YYYY-MM-DD); %(name)s the regime in force.
                "No regime in force on %(day)s grants CVAS-Data class licences (in force: %(name)s)."
            ) % {"day": f"{today:%Y-%m-%d}", "name": _regime_name(regime)}
        raise Conflict(
            closed,
            code="licensing_closed",
        )
    _check_brands_free(app)
    app.regime = regime
    app.submitted_at = timezone.now()
    _move(
        app,
        to=S.SUBMITTED,
        allowed_from={S.DRAFT},
        principal=principal,
        reason="",
        action="submitted",
    )
    _notify_applicant(
        app,
        "application received",
        f"Your application {app.reference} for a CVAS-Data class licence has been received "
        f"under the regime '{regime.name_en}'. You will be told of each decision.",
    )
    return app


@transaction.atomic
def application_take(*, principal: Principal, application: Application) -> Application:
    """A licensing officer takes a submitted (or resubmitted) application under review and is its assignee."""
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    app = _lock(application)
    app.assigned_to = principal.user
    return _move(
        app,
        to=S.UNDER_REVIEW,
        allowed_from={S.SUBMITTED, S.RESUBMITTED},
        principal=principal,
        reason="",
        action="taken under review",
    )


@transaction.atomic
def application_assign(
    *, principal: Principal, application: Application, officer: Any
) -> Application:
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    from cvas.accounts.models import StaffRoleGrant

    if (
        officer is not None
        and not StaffRoleGrant.objects.filter(
            user=officer, role=StaffRole.LICENSING_OFFICER
        ).exists()
    ):
        raise InvalidInput(
            _("assigned_to: not a licensing officer"),
            details=[{"field": "assigned_to", "reason": "not a licensing officer"}],
        )
    app = _lock(application)
    before = snapshot(app)
    app.assigned_to = officer
    app.save(update_fields=["assigned_to"])
    audit_record(
        actor=principal.actor,
        action="application.assign",
        obj=app,
        before=before,
        after=snapshot(app),
    )
    return app


@transaction.atomic
def application_request_information(
    *, principal: Principal, application: Application, reason: str
) -> Application:
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    question = _require_reason(reason, "request information")
    app = _lock(application)
    _move(
        app,
        to=S.INFORMATION_REQUESTED,
        allowed_from={S.UNDER_REVIEW},
        principal=principal,
        reason=question,
        action="asked for information",
    )
    _notify_applicant(
        app, "information requested", f"The Authority asks for more information:\n\n{question}"
    )
    return app


@transaction.atomic
def application_respond(
    *, principal: Principal, application: Application, response: str
) -> Application:
    """The applicant answers an information request and resubmits."""
    principal.require_scope("write")
    principal.require_member(application.organisation_id)
    answer = _require_reason(response, "resubmit (give your answer)", field="response")
    app = _lock(application)
    if app.state == S.INFORMATION_REQUESTED:
        missing = application_missing(app)
        if missing:
            raise InvalidInput(
                _("%(ref)s is not complete: %(missing)s")
                % {"ref": app.reference, "missing": "; ".join(m["reason"] for m in missing)},
                code="incomplete_application",
                details=missing,
            )
        _check_brands_free(app)
    return _move(
        app,
        to=S.RESUBMITTED,
        allowed_from={S.INFORMATION_REQUESTED},
        principal=principal,
        reason=answer,
        action="resubmitted",
    )


@transaction.atomic
def application_withdraw(
    *, principal: Principal, application: Application, reason: str = ""
) -> Application:
    principal.require_scope("write")
    principal.require_member(application.organisation_id)
    app = _lock(application)
    return _move(
        app,
        to=S.WITHDRAWN,
        allowed_from={S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.INFORMATION_REQUESTED, S.RESUBMITTED},
        principal=principal,
        reason=(reason or "").strip(),
        action="withdrawn",
    )


@transaction.atomic
def application_reject(
    *, principal: Principal, application: Application, reason: str
) -> Application:
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    why = _require_reason(reason, "reject")
    app = _lock(application)
    app.decided_at = timezone.now()
    app.decision_reason = why
    _move(
        app,
        to=S.REJECTED,
        allowed_from={S.UNDER_REVIEW},
        principal=principal,
        reason=why,
        action="rejected",
    )
    _notify_applicant(
        app, "application rejected", f"Your application has been rejected.\n\nReason: {why}"
    )
    return app


def _next_licence_number(year: int) -> str:
    """CVAS-DATA/YYYY/NNNN, unique and never reused: the year's counter row is locked and bumped."""
    seq = LicenceNumberSequence.objects.select_for_update().filter(year=year).first()
    if seq is None:
        try:
            with transaction.atomic():
                seq = LicenceNumberSequence.objects.create(year=year, last=0)
        except IntegrityError:
            seq = LicenceNumberSequence.objects.select_for_update().get(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"CVAS-DATA/{year}/{seq.last:04d}"


def _attach_brands(*, licence: Licence, items: list[dict[str, Any]], actor: Actor) -> None:
    for item in items:
        key = brand_key(item["name"])
        brand = Brand.objects.select_for_update().filter(name_key=key).first()
        if brand is not None and brand.organisation_id != licence.holder_id:
            raise Conflict(
                _("%(name)s is already registered to another provider.") % {"name": item["name"]},
                code="brand_taken",
            )
        if brand is None:
            brand = Brand.objects.create(
                organisation=licence.holder,
                licence=licence,
                name=item["name"],
                name_key=key,
                app_identifiers=item.get("app_identifiers", []),
            )
            before = None
        else:
            before = snapshot(brand)
            brand.licence = licence
            brand.name = item["name"]
            brand.app_identifiers = item.get("app_identifiers", []) or brand.app_identifiers
            brand.save()
        for website in item.get("websites", []):
            existing = BrandDomain.objects.filter(domain=website).select_related("brand").first()
            if existing is None:
                BrandDomain.objects.create(brand=brand, domain=website)
            elif existing.brand.organisation_id != licence.holder_id:
                raise Conflict(
                    _("%(website)s belongs to another provider's brand.") % {"website": website},
                    code="domain_taken",
                )
            elif existing.brand_id != brand.pk:
                existing.brand = brand
                existing.save(update_fields=["brand"])
        after = snapshot(brand)
        after["websites"] = sorted(brand.domains.values_list("domain", flat=True))
        audit_record(
            actor=actor,
            action="brand.create" if before is None else "brand.update",
            obj=brand,
            before=before,
            after=after,
        )


def _licence_event(
    licence: Licence,
    *,
    action: str,
    from_status: str,
    principal_or_actor: Principal | Actor,
    reason: str,
    effective_on: dt.date,
    details: dict[str, Any] | None = None,
) -> LicenceEvent:
    actor = (
        principal_or_actor.actor
        if isinstance(principal_or_actor, Principal)
        else principal_or_actor
    )
    return LicenceEvent.objects.create(
        licence=licence,
        action=action,
        from_status=from_status,
        to_status=licence.status,
        effective_on=effective_on,
        reason=reason,
        details=details or {},
        actor=actor.user,
        actor_label=actor.label,
    )


@transaction.atomic
def application_approve(*, principal: Principal, application: Application, reason: str) -> Licence:
    """Approve and issue the licence under the regime in force today."""
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    why = _require_reason(reason, "approve")
    app = _lock(application)
    if app.state != S.UNDER_REVIEW:
        _move(
            app,
            to=S.APPROVED,
            allowed_from={S.UNDER_REVIEW},
            principal=principal,
            reason=why,
            action="approved",
        )
    today = pk_today()
    regime = regime_in_force(today)
    if regime is None or not regime.licensing_open:
        raise Conflict(
            # Translators: %(day)s is a date (YYYY-MM-DD).
            _("No regime in force on %(day)s grants CVAS-Data class licences.")
            % {"day": f"{today:%Y-%m-%d}"},
            code="licensing_closed",
        )
    app.decided_at = timezone.now()
    app.decision_reason = why
    _move(
        app,
        to=S.APPROVED,
        allowed_from={S.UNDER_REVIEW},
        principal=principal,
        reason=why,
        action="approved",
    )
    number = _next_licence_number(today.year)
    licence = Licence.objects.create(
        number=number,
        number_slug=number.replace("/", "-"),
        holder=app.organisation,
        regime=regime,
        application=app,
        status=LicenceStatus.ACTIVE,
        issued_on=today,
        expires_on=add_years(today, regime.licence_validity_years),
        conditions_en=regime.conditions_en,
        conditions_ur=regime.conditions_ur,
        is_demo=app.is_demo,
    )
    _attach_brands(licence=licence, items=app.brands, actor=principal.actor)
    _licence_event(
        licence,
        action=LicenceAction.ISSUE,
        from_status="",
        principal_or_actor=principal,
        reason=why,
        effective_on=today,
        details={"application": app.reference, "regime": regime.code},
    )
    audit_record(
        actor=principal.actor,
        action="licence.issue",
        obj=licence,
        after=snapshot(licence),
        reason=why,
    )
    _notify_applicant(
        app,
        "licence issued",
        f"Your application has been approved.\n\nLicence {number} is issued under '{regime.name_en}', "
        f"valid from {licence.issued_on:%d %B %Y} to {licence.expires_on:%d %B %Y}.\n\nReason: {why}",
    )
    return licence


# -- the licence's life --------------------------------------------------------------------------


def _lock_licence(licence: Licence) -> Licence:
    return Licence.objects.select_for_update().select_related("holder", "regime").get(pk=licence.pk)


def _notify_holder(licence: Licence, subject: str, body: str) -> None:
    from cvas.accounts.models import Membership

    managers = list(
        Membership.objects.filter(
            organisation=licence.holder, role=MembershipRole.MANAGER
        ).values_list("user__email", flat=True)
    )
    notify(
        recipients=[licence.holder.contact_email, *managers],
        subject=f"[CVAS Registry] licence {licence.display_number}: {subject}",
        body=body,
    )


def _licence_move(
    licence: Licence,
    *,
    to: str,
    allowed_from: set[str],
    principal: Principal | Actor,
    reason: str,
    action: str,
    effective_on: dt.date | None = None,
) -> Licence:
    lic = _lock_licence(licence)
    if lic.status not in allowed_from:
        allowed = _allowed(LicenceStatus, allowed_from)
        raise IllegalTransition(
            str(_LICENCE_MOVE_REFUSED[LicenceAction(action)])
            % {"number": _number(lic), "status": _status(lic), "allowed": allowed},
            details=[{"field": "status", "reason": f"is {lic.status}"}],
        )
    actor = principal.actor if isinstance(principal, Principal) else principal
    before = snapshot(lic)
    from_status = lic.status
    lic.status = to
    lic.status_changed_at = timezone.now()
    lic.save()
    day = effective_on or pk_today()
    _licence_event(
        lic,
        action=action,
        from_status=from_status,
        principal_or_actor=actor,
        reason=reason,
        effective_on=day,
    )
    audit_record(
        actor=actor,
        action=f"licence.{action}",
        obj=lic,
        before=before,
        after=snapshot(lic),
        reason=reason,
    )
    _notify_holder(
        lic,
        LicenceAction(action).label.lower(),
        f"Licence {lic.display_number} is now {lic.get_status_display().lower()} (effective {day:%d %B %Y}).\n\nReason: {reason}",
    )
    return lic


L = LicenceStatus


@transaction.atomic
def licence_suspend(*, principal: Principal, licence: Licence, reason: str) -> Licence:
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    return _licence_move(
        licence,
        to=L.SUSPENDED,
        allowed_from={L.ACTIVE},
        principal=principal,
        reason=_require_reason(reason, "suspend"),
        action=LicenceAction.SUSPEND,
    )


@transaction.atomic
def licence_reinstate(*, principal: Principal, licence: Licence, reason: str) -> Licence:
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    lic = _lock_licence(licence)
    if lic.status == L.SUSPENDED and lic.expires_on < pk_today():
        raise IllegalTransition(
            # Translators: %(date)s is a date (YYYY-MM-DD).
            _("Licence %(number)s expired on %(date)s; it cannot be reinstated.")
            % {"number": _number(lic), "date": str(lic.expires_on)}
        )
    return _licence_move(
        lic,
        to=L.ACTIVE,
        allowed_from={L.SUSPENDED},
        principal=principal,
        reason=_require_reason(reason, "reinstate"),
        action=LicenceAction.REINSTATE,
    )


@transaction.atomic
def licence_revoke(*, principal: Principal, licence: Licence, reason: str) -> Licence:
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    return _licence_move(
        licence,
        to=L.REVOKED,
        allowed_from={L.ACTIVE, L.SUSPENDED},
        principal=principal,
        reason=_require_reason(reason, "revoke"),
        action=LicenceAction.REVOKE,
    )


@transaction.atomic
def licence_surrender(*, principal: Principal, licence: Licence, reason: str) -> Licence:
    """The holder gives the licence up (or an officer records that it did)."""
    principal.require_scope("write")
    if not principal.has_role(StaffRole.LICENSING_OFFICER):
        principal.require_member(licence.holder_id)
        if not principal.is_manager(licence.holder_id):
            from cvas.core.errors import Forbidden

            raise Forbidden(_("Only a manager of the holder may surrender its licence."))
    return _licence_move(
        licence,
        to=L.SURRENDERED,
        allowed_from={L.ACTIVE, L.SUSPENDED},
        principal=principal,
        reason=_require_reason(reason, "surrender"),
        action=LicenceAction.SURRENDER,
    )


@transaction.atomic
def licence_renew(*, principal: Principal, licence: Licence, reason: str) -> Licence:
    """Extend an active licence by the validity of the regime in force today, within the renewal window."""
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER)
    why = _require_reason(reason, "renew")
    lic = _lock_licence(licence)
    today = pk_today()
    if lic.status != L.ACTIVE:
        raise IllegalTransition(
            _("Licence %(number)s is %(status)s; only an active licence can be renewed.")
            % {"number": _number(lic), "status": _status(lic)}
        )
    if lic.expires_on < today:
        raise IllegalTransition(
            # Translators: %(date)s is a date (YYYY-MM-DD).
            _("Licence %(number)s expired on %(date)s; renewal must come before expiry.")
            % {"number": _number(lic), "date": str(lic.expires_on)}
        )
    window = dt.timedelta(days=settings.CVAS_RENEWAL_WINDOW_DAYS)
    opens = lic.expires_on - window
    if today < opens:
        raise IllegalTransition(
            _(
                # Translators: %(opens)s and %(expires)s are dates (YYYY-MM-DD); %(days)s a number
                # of days (always more than one).
                "Renewal of %(number)s opens on %(opens)s, %(days)s days before it expires on "
                "%(expires)s."
            )
            % {
                "number": _number(lic),
                "opens": f"{opens:%Y-%m-%d}",
                "days": settings.CVAS_RENEWAL_WINDOW_DAYS,
                "expires": f"{lic.expires_on:%Y-%m-%d}",
            }
        )
    regime = regime_in_force(today)
    if regime is None or not regime.licensing_open:
        raise Conflict(
            # Translators: %(day)s is a date (YYYY-MM-DD).
            _("No regime in force on %(day)s grants CVAS-Data class licences.")
            % {"day": f"{today:%Y-%m-%d}"},
            code="licensing_closed",
        )
    before = snapshot(lic)
    old_expiry = lic.expires_on
    lic.expires_on = add_years(old_expiry, regime.licence_validity_years)
    lic.regime = regime
    lic.save()
    _licence_event(
        lic,
        action=LicenceAction.RENEW,
        from_status=lic.status,
        principal_or_actor=principal,
        reason=why,
        effective_on=today,
        details={"previous_expiry": old_expiry.isoformat(), "regime": regime.code},
    )
    audit_record(
        actor=principal.actor,
        action="licence.renew",
        obj=lic,
        before=before,
        after=snapshot(lic),
        reason=why,
    )
    _notify_holder(
        lic,
        "renewed",
        f"Licence {lic.display_number} is renewed until {lic.expires_on:%d %B %Y}.\n\nReason: {why}",
    )
    return lic


def licences_expire_due(*, actor: Actor, today: dt.date | None = None) -> list[Licence]:
    """Expire every active or suspended licence whose last day has passed. Safe to run any number of times."""
    day = today or pk_today()
    expired: list[Licence] = []
    due = list(
        Licence.objects.filter(status__in=[L.ACTIVE, L.SUSPENDED], expires_on__lt=day).values_list(
            "pk", flat=True
        )
    )
    for pk in due:
        with transaction.atomic():
            lic = Licence.objects.select_for_update().get(pk=pk)
            if lic.status not in (L.ACTIVE, L.SUSPENDED) or lic.expires_on >= day:
                continue
            expired.append(
                _licence_move(
                    lic,
                    to=L.EXPIRED,
                    allowed_from={L.ACTIVE, L.SUSPENDED},
                    principal=actor,
                    reason=f"Validity ended on {lic.expires_on:%Y-%m-%d}.",
                    action=LicenceAction.EXPIRE,
                    effective_on=lic.expires_on + dt.timedelta(days=1),
                )
            )
    return expired


def tick_expire_licences(*, actor: Actor, today: dt.date) -> Any:
    """`cvas tick` step: expire licences whose last day has passed."""
    from cvas.core.tick import StepResult

    expired = licences_expire_due(actor=actor, today=today)
    lines = [f"{len(expired)} licence(s) expired"]
    lines += [
        f"  expired {lic.display_number} ({lic.holder.name}), last day {lic.expires_on}"
        for lic in expired
    ]
    return StepResult(name="licence expiry", lines=lines)


@transaction.atomic
def licence_record_number(*, principal: Principal, licence: Licence, number: str) -> Licence:
    """Record the official number of a public-record licence once the Authority publishes it. Once only."""
    principal.require_scope("write")
    principal.require_role(StaffRole.LICENSING_OFFICER, StaffRole.ADMINISTRATOR)
    text = " ".join((number or "").split()).upper()
    if not _OFFICIAL_NUMBER.match(text):
        raise InvalidInput(
            _("number: 4 to 64 letters, digits, '/', '-', '.' or spaces"),
            details=[{"field": "number", "reason": "malformed"}],
        )
    lic = _lock_licence(licence)
    if not lic.is_public_record:
        raise IllegalTransition(
            _("Only a public-record licence takes an official number; the system numbers its own.")
        )
    if lic.number:
        raise Conflict(
            _("This licence's number is already recorded as %(number)s.") % {"number": lic.number},
            code="number_recorded",
        )
    slug = text.replace("/", "-")
    if Licence.objects.filter(number_slug__iexact=slug).exists():
        raise Conflict(
            _("%(number)s is already the number of another licence.") % {"number": text},
            code="duplicate",
        )
    before = snapshot(lic)
    lic.number = text
    lic.number_slug = slug
    lic.save(update_fields=["number", "number_slug"])
    _licence_event(
        lic,
        action=LicenceAction.RECORD_NUMBER,
        from_status=lic.status,
        principal_or_actor=principal,
        reason="Official number published by the Authority.",
        effective_on=pk_today(),
        details={"number": text},
    )
    audit_record(
        actor=principal.actor,
        action="licence.record_number",
        obj=lic,
        before=before,
        after=snapshot(lic),
    )
    return lic


def licence_get(pk: int) -> Licence:
    lic = Licence.objects.select_related("holder", "regime").filter(pk=pk).first()
    if lic is None:
        raise NotFound(_("Licence not found."))
    return lic


# -- regimes ---------------------------------------------------------------------------------


REGIME_FIELDS = (
    "name_en",
    "name_ur",
    "summary_en",
    "summary_ur",
    "effective_from",
    "effective_to",
    "licensing_open",
    "permitted_categories",
    "end_user_registration_required",
    "licence_validity_years",
    "return_period",
    "return_deadline_days",
    "fees",
    "conditions_en",
    "conditions_ur",
    "sources",
    "assumptions",
)


def _check_regime_overlap(regime: Regime) -> None:
    from django.db.models import Q

    end = regime.effective_to
    clash = Regime.objects.exclude(pk=regime.pk).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=regime.effective_from)
    )
    if end is not None:
        clash = clash.filter(effective_from__lte=end)
    other = clash.first()
    if other is not None:
        values = {
            "name": _regime_name(other),
            "start": str(other.effective_from),
            "end": str(other.effective_to),
        }
        if other.effective_to is None:
            overlap = _(
                # Translators: %(name)s is a regime's name; %(start)s a date (YYYY-MM-DD).
                "The period overlaps '%(name)s' (%(start)s to open); end that regime first."
            )
        else:
            overlap = _(
                # Translators: %(name)s is a regime's name; %(start)s and %(end)s dates (YYYY-MM-DD).
                "The period overlaps '%(name)s' (%(start)s to %(end)s); end that regime first."
            )
        raise Conflict(
            overlap % values,
            code="regime_overlap",
            details=[{"field": "effective_from", "reason": f"overlaps {other.code}"}],
        )


@transaction.atomic
def regime_upsert(*, actor: Actor, code: str, values: dict[str, Any]) -> tuple[Regime, bool]:
    """Create or update a regime by code; returns (regime, changed). Refuses overlapping periods."""
    from cvas.licensing.choices import SubscriberCategory

    unknown = [
        c for c in values.get("permitted_categories", []) if c not in SubscriberCategory.values
    ]
    if unknown:
        raise InvalidInput(
            # Translators: %(unknown)s lists subscriber categories' machine names (in English).
            _("permitted_categories: unknown %(unknown)s") % {"unknown": ", ".join(unknown)},
            details=[{"field": "permitted_categories", "reason": "unknown category"}],
        )
    regime = Regime.objects.select_for_update().filter(code=code).first()
    created = regime is None
    if regime is None:
        regime = Regime(code=code)
        before = None
    else:
        before = snapshot(regime)
    for key, value in values.items():
        if key not in REGIME_FIELDS:
            raise InvalidInput(
                _("%(field)s: not a field of a regime") % {"field": key},
                details=[{"field": key, "reason": "unknown field"}],
            )
        setattr(regime, key, value)
    try:
        regime.full_clean(exclude=["code"] if not created else None)
    except ValidationError as exc:
        details = [
            {"field": f, "reason": " ".join(str(m) for m in msgs)}
            for f, msgs in exc.message_dict.items()
        ]
        raise InvalidInput(
            "; ".join(f"{d['field']}: {d['reason']}" for d in details), details=details
        ) from None
    if not created and before == snapshot(regime):
        return regime, False
    _check_regime_overlap(regime)
    regime.save()
    audit_record(
        actor=actor,
        action="regime.create" if created else "regime.update",
        obj=regime,
        before=before,
        after=snapshot(regime),
    )
    return regime, True


# -- the public record ---------------------------------------------------------------------------


@transaction.atomic
def seed_public_record(*, actor: Actor) -> dict[str, int]:
    """Load the regimes and the named licensees. Idempotent: a second run changes nothing."""
    from cvas.accounts.services import organisation_create
    from cvas.licensing import seed

    counts = {
        "regimes_changed": 0,
        "organisations_created": 0,
        "licences_created": 0,
        "brands_created": 0,
    }
    for item in seed.REGIMES:
        values = {k: v for k, v in item.items() if k != "code"}
        _, changed = regime_upsert(actor=actor, code=item["code"], values=values)
        counts["regimes_changed"] += int(changed)
    regime = Regime.objects.get(code=seed.PUBLIC_LICENCE_REGIME)
    for entry in seed.PUBLIC_LICENSEES:
        org = Organisation.objects.filter(name__iexact=entry["name"]).first()
        if org is None:
            org = organisation_create(
                actor=actor, name=entry["name"], kind=entry["kind"], is_public_record=True
            )
            counts["organisations_created"] += 1
        elif org.is_demo:
            raise Conflict(
                f"{org.name} exists as demo data; the public record will not be mixed with it."
            )
        licence = Licence.objects.filter(holder=org, is_public_record=True).first()
        if licence is None:
            licence = Licence.objects.create(
                holder=org,
                regime=regime,
                status=LicenceStatus.ACTIVE,
                issued_on=seed.PUBLIC_LICENCE_DATE,
                expires_on=add_years(seed.PUBLIC_LICENCE_DATE, regime.licence_validity_years),
                conditions_en=regime.conditions_en,
                conditions_ur=regime.conditions_ur,
                is_public_record=True,
                public_record_note=seed.PUBLIC_LICENCE_NOTE,
            )
            _licence_event(
                licence,
                action=LicenceAction.RECORD_PUBLIC,
                from_status="",
                principal_or_actor=actor,
                reason=seed.PUBLIC_LICENCE_NOTE,
                effective_on=seed.PUBLIC_LICENCE_DATE,
                details={"source": seed.REPORT_2025_11_13},
            )
            audit_record(
                actor=actor, action="licence.record_public", obj=licence, after=snapshot(licence)
            )
            counts["licences_created"] += 1
        for brand_name in entry["brands"]:
            key = brand_key(brand_name)
            brand = Brand.objects.filter(name_key=key).first()
            if brand is None:
                brand = Brand.objects.create(
                    organisation=org, licence=licence, name=brand_name, name_key=key
                )
                audit_record(actor=actor, action="brand.create", obj=brand, after=snapshot(brand))
                counts["brands_created"] += 1
            elif brand.organisation_id != org.pk:
                raise Conflict(
                    f"Brand {brand_name} is held by {brand.organisation.name}, not {org.name}."
                )
    return counts
