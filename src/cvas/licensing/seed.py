"""The public record: the policy timeline as regimes, and the licensees the Authority has named.

Facts come from the three news reports in shared/seeds (dated 24 Feb 2025, 25 Feb 2025 and
13 Nov 2025) and PTA's public pages; every value neither gives is listed in the regime's
`assumptions`, and shown as such wherever it appears.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cvas.licensing.choices import SubscriberCategory as C

DAWN_2025_02_25 = (
    "Dawn, 25 Feb 2025: 'PTA grants licence to two companies for VPN services' (Kalbe Ali)"
)
REPORT_2025_02_24 = "News report, 24 Feb 2025: PTA launches a licensing framework for VPN services"
REPORT_2025_11_13 = "News report, 13 Nov 2025: PTA commences licensing of VPN providers under the reinstated CVAS-Data regime"
PTA_FAQ = "PTA public FAQ of the IP-registration portal (applicants, ISP verification, mobile numbers, CNIC, fee from the fifth address)"
PTA_TERMS = "PTA published terms for CVAS licences (15-year validity)"

COMMERCIAL = [C.IT_COMPANY, C.BANK, C.FOREIGN_MISSION, C.SOFTWARE_HOUSE, C.OTHER_BUSINESS]

REGIMES: list[dict[str, Any]] = [
    {
        "code": "ip-registration-2024",
        "name_en": "IP address registration for VPN use",
        "name_ur": "وی پی این کے استعمال کے لیے آئی پی ایڈریس کی رجسٹریشن",
        "summary_en": (
            "After X was blocked in February 2024 and VPN use surged, commercial entities were asked to register "
            "the IP addresses they use VPNs from on a web portal, to keep using VPNs. Applicants were companies, "
            "software houses and freelancers, banks and foreign missions; the applicant's internet service provider "
            "verified that the address was the subscriber's; a mobile number could stand in where there was no static "
            "address; the responsible person's CNIC and proof of the business were required; a fee applied from the "
            "fifth address. The scheme had little uptake. In November 2024 a ban on VPNs was considered, then withdrawn."
        ),
        "summary_ur": (
            "فروری 2024 میں ایکس کی بندش کے بعد تجارتی اداروں سے کہا گیا کہ وی پی این استعمال جاری رکھنے کے لیے اپنے آئی پی "
            "ایڈریس ایک ویب پورٹل پر رجسٹر کریں۔ نومبر 2024 میں وی پی این پر پابندی پر غور کیا گیا، پھر یہ فیصلہ واپس لے لیا گیا۔"
        ),
        "effective_from": dt.date(2024, 2, 17),
        "effective_to": dt.date(2024, 11, 30),
        "licensing_open": False,
        "permitted_categories": [*COMMERCIAL, C.FREELANCER],
        "end_user_registration_required": True,
        "licence_validity_years": 15,
        "return_period": "quarterly",
        "return_deadline_days": 30,
        "fees": {"ip_registration": {"free_addresses": 4, "fee_per_address_pkr": 5000}},
        "conditions_en": (
            "Commercial entities register each static IP address (or a mobile number where there is none) from which "
            "they use VPNs; the internet service provider confirms each address; proof of the business and the "
            "responsible person's CNIC are required."
        ),
        "conditions_ur": "تجارتی ادارے ہر جامد آئی پی ایڈریس (یا موبائل نمبر) رجسٹر کریں؛ انٹرنیٹ سروس فراہم کنندہ ہر ایڈریس کی تصدیق کرے۔",
        "sources": [DAWN_2025_02_25, PTA_FAQ],
        "assumptions": [
            "effective_from",
            "effective_to",
            "fees",
            "return_period",
            "return_deadline_days",
        ],
    },
    {
        "code": "cvas-data-2024",
        "name_en": "CVAS-Data class licence for VPN providers: commercial clients only",
        "name_ur": "وی پی این فراہم کنندگان کے لیے سی واس ڈیٹا کلاس لائسنس: صرف تجارتی صارفین",
        "summary_en": (
            "In December 2024 PTA resumed granting Class Licences for Data Services to VPN service providers. On "
            "24 February 2025 two companies were licensed (their names were not published). Licensees may provide "
            "VPN services to commercial clients only (IT companies, banks, foreign missions, etc.); VPN use by "
            "individuals is unlawful."
        ),
        "summary_ur": (
            "دسمبر 2024 میں پی ٹی اے نے وی پی این فراہم کنندگان کو ڈیٹا سروسز کے کلاس لائسنس دوبارہ دینا شروع کیے۔ 24 فروری 2025 کو "
            "دو کمپنیوں کو لائسنس دیا گیا۔ لائسنس یافتگان صرف تجارتی صارفین کو خدمات دے سکتے ہیں؛ افراد کے لیے وی پی این کا استعمال غیر قانونی ہے۔"
        ),
        "effective_from": dt.date(2024, 12, 1),
        "effective_to": dt.date(2025, 11, 12),
        "licensing_open": True,
        "permitted_categories": COMMERCIAL,
        "end_user_registration_required": True,
        "licence_validity_years": 15,
        "return_period": "quarterly",
        "return_deadline_days": 30,
        "fees": {"application_fee_pkr": 100000, "annual_fee_pkr": 250000},
        "conditions_en": (
            "Provide VPN services to commercial clients only (IT companies, banks, foreign missions and other "
            "businesses), for lawful purposes, ensuring data security, privacy and regulatory compliance. Report "
            "subscribers and gateway addresses and file periodic returns to the Authority."
        ),
        "conditions_ur": (
            "وی پی این خدمات صرف تجارتی صارفین کو، جائز مقاصد کے لیے، ڈیٹا سیکیورٹی، رازداری اور ضوابط کی پابندی کے ساتھ فراہم کریں۔ "
            "صارفین اور گیٹ وے ایڈریس کی اطلاع دیں اور وقتاً فوقتاً ریٹرن جمع کرائیں۔"
        ),
        "sources": [DAWN_2025_02_25, REPORT_2025_02_24, PTA_TERMS],
        "assumptions": [
            "effective_from",
            "effective_to",
            "end_user_registration_required",
            "fees",
            "return_period",
            "return_deadline_days",
        ],
    },
    {
        "code": "cvas-data-2025",
        "name_en": "Reinstated CVAS-Data regime: individuals and organisations",
        "name_ur": "بحال شدہ سی واس ڈیٹا نظام: افراد اور ادارے",
        "summary_en": (
            "On 13 November 2025 PTA commenced licensing of VPN service providers under the reinstated Class Value "
            "Added Services (CVAS-Data) regime and named five licensees. Licensees may offer VPN services to "
            "individuals and organisations for legitimate and lawful purposes; users need not approach PTA to "
            "register their IP addresses or mobile numbers."
        ),
        "summary_ur": (
            "13 نومبر 2025 کو پی ٹی اے نے بحال شدہ سی واس ڈیٹا نظام کے تحت وی پی این فراہم کنندگان کی لائسنسنگ شروع کی اور پانچ "
            "لائسنس یافتگان کے نام بتائے۔ لائسنس یافتگان افراد اور اداروں کو جائز مقاصد کے لیے خدمات دے سکتے ہیں؛ صارفین کو اپنے آئی پی "
            "ایڈریس یا موبائل نمبر الگ سے رجسٹر کرانے کی ضرورت نہیں۔"
        ),
        "effective_from": dt.date(2025, 11, 13),
        "effective_to": None,
        "licensing_open": True,
        "permitted_categories": [*COMMERCIAL, C.FREELANCER, C.INDIVIDUAL],
        "end_user_registration_required": False,
        "licence_validity_years": 15,
        "return_period": "quarterly",
        "return_deadline_days": 30,
        "fees": {"application_fee_pkr": 100000, "annual_fee_pkr": 250000},
        "conditions_en": (
            "Provide VPN services to individuals and organisations for legitimate and lawful purposes, ensuring data "
            "security, privacy and regulatory compliance. Report subscribers and gateway addresses and file periodic "
            "returns to the Authority."
        ),
        "conditions_ur": (
            "وی پی این خدمات افراد اور اداروں کو جائز اور قانونی مقاصد کے لیے، ڈیٹا سیکیورٹی، رازداری اور ضوابط کی پابندی کے ساتھ فراہم کریں۔ "
            "صارفین اور گیٹ وے ایڈریس کی اطلاع دیں اور وقتاً فوقتاً ریٹرن جمع کرائیں۔"
        ),
        "sources": [REPORT_2025_11_13, PTA_TERMS],
        "assumptions": ["fees", "return_period", "return_deadline_days"],
    },
]

# Named in the Authority's press release of 13 Nov 2025. Their licence numbers were not published.
PUBLIC_LICENSEES: list[dict[str, Any]] = [
    {"name": "Alpha 3 Cubic Pvt Ltd", "kind": "company", "brands": ["Steer Lucid"]},
    {"name": "Zettabyte Pvt Ltd", "kind": "company", "brands": ["Crest VPN"]},
    {"name": "Nexilium Tech SMC-Pvt Ltd", "kind": "smc_private", "brands": ["Kestrel VPN"]},
    {"name": "UKI Conic Solutions SMC-Pvt Ltd", "kind": "smc_private", "brands": ["QuiXure VPN"]},
    {"name": "Vision Tech 360 Pvt Ltd", "kind": "company", "brands": ["Kryptonyme VPN"]},
]
PUBLIC_LICENCE_DATE = dt.date(2025, 11, 13)
PUBLIC_LICENCE_NOTE = (
    "Named by PTA on 13 Nov 2025; the issue date shown is the date of that announcement and the expiry follows "
    "from the regime's 15-year validity. The licence number has not been published."
)
PUBLIC_LICENCE_REGIME = "cvas-data-2025"
