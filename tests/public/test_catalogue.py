"""The Urdu catalogue: the compiled .mo says what the .po says, every entry is translated (none
empty, none fuzzy), and every choice is translated."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import models
from django.utils import translation

from cvas.compliance import choices as compliance_choices
from cvas.public.labels import TRANSLATED_CHOICES, translated_choices
from cvas.registry import choices as registry_choices

LOCALE = Path(__file__).resolve().parents[2] / "src" / "cvas" / "locale"
PO = LOCALE / "ur" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "ur" / "LC_MESSAGES" / "django.mo"


def _unquote(text: str) -> str:
    return (
        text.strip()[1:-1]
        .replace('\\"', '"')
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\\", "\\")
    )


def read_po(path: Path) -> dict[str, str | tuple[str, ...]]:
    """msgid -> msgstr (or the plural forms), skipping fuzzy and untranslated entries, as msgfmt does."""
    entries: dict[str, str | tuple[str, ...]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if "#, fuzzy" in block or not block.strip():
            continue
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = _unquote(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += _unquote(line)
        msgid = fields.get("msgid", "")
        if not msgid:
            continue
        if "msgctxt" in fields:
            msgid = f"{fields['msgctxt']}\x04{msgid}"
        if "msgid_plural" in fields:
            forms = tuple(v for k, v in sorted(fields.items()) if k.startswith("msgstr["))
            if all(forms):
                entries[msgid] = forms
        elif fields.get("msgstr"):
            entries[msgid] = fields["msgstr"]
    return entries


def test_the_compiled_catalogue_matches_its_source() -> None:
    """Fails when the .po was edited without recompiling (`make messages`)."""
    source = read_po(PO)
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    flat: dict[str, str | tuple[str, ...]] = {}
    for key, value in catalog.items():
        if isinstance(key, tuple):
            msgid, index = key
            forms = list(flat.get(msgid, ()))  # type: ignore[arg-type]
            forms += [""] * (index + 1 - len(forms))
            forms[index] = value
            flat[msgid] = tuple(forms)
        else:
            flat[key] = value
    # a plural entry is keyed by its singular msgid in both
    assert flat == source, "src/cvas/locale/ur/LC_MESSAGES/django.mo is stale: run `make messages`"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_the_catalogue_passes_msgfmt_checks(tmp_path: Path) -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "x.mo"), str(PO)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _untranslated_or_fuzzy(path: Path) -> list[str]:
    """The msgids of the entries an Urdu page would show in English: empty or fuzzy."""
    found = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = _unquote(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += _unquote(line)
        if not fields.get("msgid"):
            continue  # the header
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        empty = not all(v for k, v in fields.items() if k.startswith("msgstr"))
        if fuzzy or empty:
            found.append(fields["msgid"])
    return found


def test_every_entry_of_the_catalogue_is_translated() -> None:
    """Fails when `make messages` brought in new text (or a changed one, marked fuzzy) that has no
    Urdu yet: translate it in the .po, then run `make messages` again."""
    missing = _untranslated_or_fuzzy(PO)
    assert missing == [], f"{len(missing)} entries untranslated or fuzzy, e.g. {missing[:5]}"


def test_the_check_finds_an_untranslated_and_a_fuzzy_entry(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ur\\n"\n\n'
        'msgid "Returns"\nmsgstr "ریٹرن"\n\n'
        'msgid "Violations"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Compliance"\nmsgstr "تعمیل افسر"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s دن"\nmsgstr[1] ""\n',
        encoding="utf-8",
    )
    assert _untranslated_or_fuzzy(po) == ["Violations", "Compliance", "%(n)s day"]


@pytest.mark.parametrize(
    "choices",
    [
        c
        for module in (compliance_choices, registry_choices)
        for c in vars(module).values()
        if isinstance(c, type)
        and issubclass(c, models.TextChoices)
        and c.__module__ == module.__name__
    ],
    ids=lambda c: c.__name__,
)
def test_every_compliance_and_registry_label_has_an_urdu_translation(
    choices: type[models.TextChoices],
) -> None:
    """The pages translate these stored English labels when they show them (`gettext_noop` marks
    them for the catalogue)."""
    with translation.override("ur"):
        for value, english in choices.choices:
            assert translation.gettext(english) != english, (
                f"{choices.__name__}.{value}: {english!r}"
            )


def test_every_choice_shown_on_the_pages_has_an_urdu_label() -> None:
    with translation.override("ur"):
        for choices in TRANSLATED_CHOICES:
            for value, text in translated_choices(choices):
                english = str(choices(value).label)
                assert text != english, f"{choices.__name__}.{value}: {english!r} is not translated"
