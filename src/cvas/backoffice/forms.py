"""Forms of the back-office: decisions and licence actions need a reason; regime administration."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cvas.accounts.choices import StaffRole
from cvas.licensing.choices import ApplicationState, ReturnPeriod, SubscriberCategory
from cvas.licensing.services import REGIME_FIELDS
from cvas.public.labels import translated_choices
from cvas.public.web import set_choices

DECISIONS = [
    ("request_information", _("Ask the applicant for more information")),
    ("approve", _("Approve and issue the licence")),
    ("reject", _("Reject the application")),
]
LICENCE_ACTIONS = {
    "suspend": _("Suspend"),
    "reinstate": _("Reinstate"),
    "revoke": _("Revoke"),
    "renew": _("Renew"),
    "surrender": _("Record surrender"),
}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"), choices=DECISIONS, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Required. The applicant reads it: for a request, say exactly what is needed."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Give the reason for this decision.")},
    )


class AssignForm(forms.Form):
    officer = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args: Any, officers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["officer"], [("", _("Nobody")), *officers])


class LicenceActionForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=list(LICENCE_ACTIONS.items()))
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Required; shown on the public register's status history."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Give the reason for this action.")},
    )


class NumberForm(forms.Form):
    number = forms.CharField(
        label=_("Official licence number"),
        max_length=64,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, *args: Any, officers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        open_states = [
            ApplicationState.SUBMITTED,
            ApplicationState.UNDER_REVIEW,
            ApplicationState.INFORMATION_REQUESTED,
            ApplicationState.RESUBMITTED,
        ]
        labels = dict(translated_choices(ApplicationState))
        set_choices(
            self.fields["state"],
            [("", _("Any open state"))] + [(s.value, labels[s.value]) for s in open_states],
        )
        set_choices(
            self.fields["assignee"],
            [
                ("", _("Anyone")),
                ("me", _("Me")),
                ("none", _("Nobody yet")),
                *officers,
            ],
        )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=255)
    object_type = forms.CharField(
        label=_("Object type"),
        required=False,
        max_length=64,
        help_text=_("e.g. licensing.licence"),
    )
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    action = forms.CharField(
        label=_("Action"), required=False, max_length=64, help_text=_("e.g. licence.revoke")
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class RegimeForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=64, help_text=_("Short and permanent, e.g. cvas-data-2027.")
    )
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_ur = forms.CharField(
        label=_("Name (Urdu)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"lang": "ur", "dir": "rtl"}),
    )
    summary_en = forms.CharField(
        label=_("Summary (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    summary_ur = forms.CharField(
        label=_("Summary (Urdu)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "ur", "dir": "rtl"}),
    )
    effective_from = forms.DateField(
        label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_to = forms.DateField(
        label=_("Last day in force"),
        required=False,
        help_text=_("Empty while in force."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    licensing_open = forms.BooleanField(
        label=_("Class licences are granted under this regime"), required=False
    )
    permitted_categories = forms.MultipleChoiceField(
        label=_("Subscriber categories licensees may serve"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    end_user_registration_required = forms.BooleanField(
        label=_("End users must register their IP addresses or mobile numbers themselves"),
        required=False,
    )
    licence_validity_years = forms.IntegerField(
        label=_("Licence validity (years)"), min_value=1, max_value=99
    )
    return_period = forms.ChoiceField(label=_("Returns are filed"))
    return_deadline_days = forms.IntegerField(
        label=_("Days after the period to file a return"), min_value=0, max_value=365
    )
    fees = forms.CharField(
        label=_("Fee schedule"),
        help_text=_(
            'As JSON, amounts in rupees, e.g. {"application_fee_pkr": 100000, "annual_fee_pkr": 250000}'
        ),
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr", "spellcheck": "false"}),
        required=False,
    )
    conditions_en = forms.CharField(
        label=_("Licence conditions (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    conditions_ur = forms.CharField(
        label=_("Licence conditions (Urdu)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "lang": "ur", "dir": "rtl"}),
    )
    sources = forms.CharField(
        label=_("Sources"),
        required=False,
        help_text=_("One per line: where each fact comes from."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    assumptions = forms.MultipleChoiceField(
        label=_("Values that are assumptions, not published facts"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["permitted_categories"], translated_choices(SubscriberCategory))
        set_choices(self.fields["return_period"], translated_choices(ReturnPeriod))
        set_choices(
            self.fields["assumptions"],
            [
                (f, self.fields[f].label if f in self.fields else f)
                for f in REGIME_FIELDS
                if f
                not in ("name_en", "name_ur", "summary_en", "summary_ur", "sources", "assumptions")
            ],
        )
        if editing:
            self.fields["code"].disabled = True

    def clean_fees(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("fees") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("Not valid JSON (line %(line)s, column %(col)s).")
                % {"line": exc.lineno, "col": exc.colno}
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give an object: names and amounts in braces {}."))
        return value

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("code", None)
        data["sources"] = _lines(data.get("sources") or "")
        return {k: v for k, v in data.items() if k in REGIME_FIELDS}


class StaffUserForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"))
    password = forms.CharField(
        label=_("First password"),
        help_text=_("Give it to them securely; they should change it."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        min_length=10,
        strip=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["role"], translated_choices(StaffRole))


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Staff roles"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["roles"], translated_choices(StaffRole))


def _validate_password(form: StaffUserForm) -> str:
    from django.contrib.auth import password_validation

    value = form.cleaned_data.get("password") or ""
    password_validation.validate_password(value)
    return value


StaffUserForm.clean_password = _validate_password  # type: ignore[attr-defined]
