"""Forms of the portal: they parse and check input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from cvas.accounts.choices import ApiScope, MembershipRole, OrganisationKind
from cvas.licensing.choices import Declaration, DocumentKind
from cvas.public.labels import translated_choices
from cvas.public.web import set_choices


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        help_text=_("At least 10 characters; not a common password, not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Registered name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of organisation"))
    registration_number = forms.CharField(
        label=_("Registration number"),
        help_text=_("SECP incorporation number or NTN."),
        max_length=64,
        required=False,
    )
    address = forms.CharField(
        label=_("Address"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    contact_email = forms.EmailField(label=_("Contact e-mail address"), max_length=254)
    contact_phone = forms.CharField(
        label=_("Contact telephone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["kind"], translated_choices(OrganisationKind))


class MemberForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the person"),
        help_text=_("They must have signed up already."),
        max_length=254,
    )
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["role"], translated_choices(MembershipRole))


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["role"], translated_choices(MembershipRole))


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the key"),
        help_text=_("What it is for, e.g. 'subscriber reporting'."),
        max_length=100,
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the key may do"), widget=forms.CheckboxSelectMultiple
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(30, _("30 days")), (90, _("90 days")), (365, _("1 year")), (730, _("2 years"))],
        initial=90,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self.fields["scopes"],
            [
                (ApiScope.READ, _("Read own organisation's data")),
                (ApiScope.WRITE, _("Create and change own organisation's data")),
                (ApiScope.LOOKUP, _("Look up and download registered endpoints")),
            ],
        )


# -- the application, step by step --------------------------------------------------------------


class ServiceForm(forms.Form):
    draft = True  # a draft saves incomplete; the checklist says what is missing

    service_description = forms.CharField(
        label=_("Describe the VPN service"),
        help_text=_(
            "Who it is for, where its gateways are, how subscriber data is protected. At least 20 characters."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10000,
        required=False,
    )


class BrandsForm(forms.Form):
    """One row per brand: its name and its websites; empty rows are ignored."""

    draft = True

    def __init__(self, *args: Any, rows: int = 2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for i in range(rows):
            self.fields[f"name_{i}"] = forms.CharField(
                label=_("Brand name"), max_length=120, required=False
            )
            self.fields[f"websites_{i}"] = forms.CharField(
                label=_("Websites of this brand"),
                help_text=_("Separate several with commas, e.g. crestvpn.pk, crest.example"),
                max_length=2000,
                required=False,
            )

    def row_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"name_{i}"], self[f"websites_{i}"]) for i in range(self.rows)]

    def brands(self) -> list[dict[str, Any]]:
        out = []
        for i in range(self.rows):
            name = self.cleaned_data.get(f"name_{i}", "").strip()
            websites = self.cleaned_data.get(f"websites_{i}", "").strip()
            if name or websites:
                out.append({"name": name, "websites": websites})
        return out


class GatewaysForm(forms.Form):
    draft = True  # a draft saves incomplete; the checklist says what is missing

    gateway_prefixes = forms.CharField(
        label=_("Gateway addresses"),
        help_text=_(
            "The public IPv4 or IPv6 prefixes of your VPN gateways, one per line, e.g. 39.32.10.0/24"
        ),
        widget=forms.Textarea(attrs={"rows": 6, "dir": "ltr", "spellcheck": "false"}),
        max_length=20000,
        required=False,
    )


class DeclarationsForm(forms.Form):
    draft = True  # a draft saves incomplete; the checklist says what is missing

    fee_payment_reference = forms.CharField(
        label=_("Fee payment reference"),
        help_text=_("The PSID or receipt number of the application fee payment."),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from cvas.public.labels import label

        for d in Declaration:
            self.fields[f"decl_{d.value}"] = forms.BooleanField(
                label=label(Declaration, d.value), required=False
            )

    def declaration_fields(self) -> list[forms.BoundField]:
        return [self[f"decl_{d.value}"] for d in Declaration]

    def declarations(self) -> dict[str, bool]:
        return {d.value: bool(self.cleaned_data.get(f"decl_{d.value}")) for d in Declaration}


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the document is"))
    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["kind"], translated_choices(DocumentKind))
        limit_mb = settings.DOCUMENT_MAX_BYTES / (1024 * 1024)
        self.fields["file"].help_text = _("A PDF of at most %(size)s MB.") % {
            "size": f"{limit_mb:g}"
        }


class RespondForm(forms.Form):
    response = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
