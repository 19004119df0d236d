"""Plain forms for the portal's return pages and the staff's compliance pages. They only parse what
the browser sends; the services check it, and their errors are put back next to the fields."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cvas.compliance.choices import (
    CostParameterKey,
    Decision,
    IncidentKind,
    Sanction,
    ViolationKind,
)
from cvas.core.errors import DomainError
from cvas.licensing.choices import SubscriberCategory


def translated(choices: type[models.TextChoices]) -> list[tuple[str, Any]]:
    """The choices with their labels translated when shown (the stored labels stay English)."""
    return [(str(value), _(str(label))) for value, label in choices.choices]


COUNT_WIDGET = forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric"})


def _count(label: Any, help_text: Any = "", required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=0, required=required, help_text=help_text, widget=COUNT_WIDGET
    )


class FiguresForm(forms.Form):
    """A return's figures; one field per subscriber category."""

    new_subscriptions = _count(_("New subscriptions in the period"))
    ended_subscriptions = _count(_("Subscriptions ended in the period"))
    traffic_domestic_bytes = _count(
        _("Domestic traffic carried (bytes)"), _("Total bytes, both directions, within Pakistan.")
    )
    traffic_international_bytes = _count(
        _("International traffic carried (bytes)"),
        _("Total bytes, both directions, to or from abroad."),
    )
    gateway_locations = forms.CharField(
        label=_("Gateway locations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One place per line, e.g. Karachi (KHI-1)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in SubscriberCategory.choices:
            self.fields[f"subscribers_{value}"] = _count(
                gettext("Subscribers at the period's end: %(category)s")
                % {"category": gettext(str(label))},
                required=False,
            )
        order = [f"subscribers_{v}" for v in SubscriberCategory.values]
        self.order_fields(order)

    def figures(self, incidents: list[dict[str, Any]]) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "subscribers": {
                v: d.get(f"subscribers_{v}") or 0
                for v in SubscriberCategory.values
                if d.get(f"subscribers_{v}")
            },
            "new_subscriptions": d.get("new_subscriptions"),
            "ended_subscriptions": d.get("ended_subscriptions"),
            "traffic_domestic_bytes": d.get("traffic_domestic_bytes"),
            "traffic_international_bytes": d.get("traffic_international_bytes"),
            "gateway_locations": [
                line.strip()
                for line in (d.get("gateway_locations") or "").splitlines()
                if line.strip()
            ],
            "incidents": incidents,
        }

    @staticmethod
    def initial_from(version: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            f"subscribers_{c}": version.subscribers.get(c, 0) for c in SubscriberCategory.values
        }
        for name in (
            "new_subscriptions",
            "ended_subscriptions",
            "traffic_domestic_bytes",
            "traffic_international_bytes",
        ):
            initial[name] = getattr(version, name)
        initial["gateway_locations"] = "\n".join(version.gateway_locations)
        return initial


class FileReturnForm(FiguresForm):
    period = forms.ChoiceField(label=_("Licence and period"), choices=())

    def __init__(self, *args: Any, periods: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["period"]).choices = periods
        self.order_fields(["period", *[f for f in self.fields if f != "period"]])


class AmendForm(FiguresForm):
    reason = forms.CharField(
        label=_("Why is the return amended?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class IncidentForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *translated(IncidentKind)])
    description = forms.CharField(label=_("What happened"), max_length=2000)
    resolved = forms.ChoiceField(
        label=_("Resolved"), choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))]
    )

    def as_incident(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "date": d["date"],
            "kind": d["kind"],
            "description": d["description"],
            "resolved": d["resolved"] == "yes",
        }


IncidentFormSet = forms.formset_factory(IncidentForm, extra=3, max_num=500, can_delete=True)


def incidents_initial(version: Any) -> list[dict[str, Any]]:
    return [
        {
            "date": i["date"],
            "kind": i["kind"],
            "description": i["description"],
            "resolved": "yes" if i["resolved"] else "no",
        }
        for i in version.incidents
    ]


class UploadReturnForm(forms.Form):
    licence = forms.ChoiceField(label=_("Licence"), choices=())
    file = forms.FileField(label=_("Return as CSV"), help_text=_("UTF-8; see the format below."))

    def __init__(self, *args: Any, licences: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["licence"]).choices = licences


class UploadAmendmentForm(forms.Form):
    file = forms.FileField(label=_("Amended return as CSV"))
    reason = forms.CharField(
        label=_("Why is the return amended?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


def put_errors(form: forms.Form, exc: DomainError, formset: Any = None) -> None:
    """Show a service's error details next to the fields they name; the rest above the form."""
    placed = False
    for d in exc.details:
        name = str(d.get("field", ""))
        reason = str(d.get("reason", ""))
        if "line" in d:
            reason = gettext("line %(line)s, column %(column)s: %(reason)s") % {
                "line": d["line"],
                "column": d.get("column", ""),
                "reason": reason,
            }
        target = name.replace("subscribers.", "subscribers_")
        if name.startswith("incidents[") and formset is not None:
            try:
                index = int(name[len("incidents[") : name.index("]")])
                sub = name.split(".", 1)[1] if "." in name else None
                form_i = formset.forms[index]
                if sub in form_i.fields:
                    form_i.add_error(sub, reason)
                else:
                    form_i.add_error(None, reason)
                placed = True
                continue
            except (ValueError, IndexError):
                pass
        if target in form.fields:
            form.add_error(target, reason)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# -- staff --------------------------------------------------------------------------------------


class ViolationForm(forms.Form):
    licence = forms.ChoiceField(label=_("Licence"), choices=())
    kind = forms.ChoiceField(label=_("Kind of violation"), choices=translated(ViolationKind))
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.CharField(
        label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000
    )
    sanction = forms.ChoiceField(
        label=_("Propose a sanction now (optional)"),
        choices=[("", _("Not yet")), *translated(Sanction)],
        required=False,
    )
    fine_amount_pkr = forms.DecimalField(
        label=_("Fine (PKR)"), required=False, min_value=0, decimal_places=2, max_digits=14
    )
    reason = forms.CharField(
        label=_("Why this sanction"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, licences: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["licence"]).choices = licences


class ProposeForm(forms.Form):
    sanction = forms.ChoiceField(label=_("Sanction"), choices=translated(Sanction))
    fine_amount_pkr = forms.DecimalField(
        label=_("Fine (PKR), for a fine"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=14,
    )
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=translated(Decision))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CostParameterForm(forms.Form):
    key = forms.ChoiceField(choices=CostParameterKey.choices, widget=forms.HiddenInput)
    value = forms.DecimalField(label=_("Value"), min_value=0, decimal_places=6, max_digits=20)
    source = forms.CharField(
        label=_("Source"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_assumption = forms.BooleanField(
        label=_("An assumption, not a published figure"), required=False
    )
