import json
import pytest
from tests.conftest import api_key_for, bearer, principal, pdf_upload

pytestmark = pytest.mark.django_db

def show(r):
    print(r.status_code, r.content[:300])

def test_probe(world, client_for, complete_application):
    c = client_for(world["member_a"])
    app = complete_application()
    show(c.get("/api/v1/register/licences?q=crest"))
    show(c.get("/api/v1/register/licences?limit=1&offset=99999999999999999999999"))
    show(c.get("/api/v1/register/licences?limit=1&offset=9223372036854775807"))
    show(c.get("/api/v1/register/licences?status=bogus"))
    show(c.get("/api/v1/register/licences?sort=bogus"))
    show(c.get("/api/v1/applications/abc"))
    show(c.get("/api/v1/applications/99999999999999999999999"))
    show(c.get("/api/v1/applications/9223372036854775808"))
    show(c.post("/api/v1/applications", data="{not json", content_type="application/json"))
    show(c.post("/api/v1/applications", data="null", content_type="application/json"))
    show(c.post("/api/v1/applications", data="[]", content_type="application/json"))
    show(c.post("/api/v1/applications", data=json.dumps({"organisation_id": 10**30}), content_type="application/json"))
    show(c.post("/api/v1/applications", data=json.dumps({"organisation_id": "x"}), content_type="application/json"))
    show(c.post("/api/v1/applications", data=json.dumps({"organisation_id": world["org_a"].pk, "bogus": 1}), content_type="application/json"))
    show(c.patch(f"/api/v1/applications/{app.pk}", data=json.dumps({"bogus": 1}), content_type="application/json"))
    show(c.patch(f"/api/v1/applications/{app.pk}", data=json.dumps({"brands": "x"}), content_type="application/json"))
    show(c.patch(f"/api/v1/applications/{app.pk}", data="", content_type="application/json"))
    show(c.patch(f"/api/v1/applications/{app.pk}", data="a=b", content_type="application/x-www-form-urlencoded"))
    show(c.post(f"/api/v1/applications/{app.pk}/documents", {"kind": "other", "file": pdf_upload(name="x.txt", content=b"hello")}))
    show(c.post(f"/api/v1/applications/{app.pk}/documents", {"kind": "bogus", "file": pdf_upload()}))
    show(c.post(f"/api/v1/applications/{app.pk}/documents", {"kind": "other"}))
    show(c.post("/api/v1/licences/1/official-number", data=json.dumps({"number": "X/1/2"}), content_type="application/json"))
    show(c.post("/api/v1/licences/1/bogus", data=json.dumps({"reason": "x"}), content_type="application/json"))
    show(c.get("/api/v1/verify"))
    show(c.get("/api/v1/verify?brand="))
    show(c.get("/api/v1/verify?brand=crest-vpn"))
    show(c.get("/api/v1/verify?domain=http://[::1"))
    show(c.get("/api/v1/verify?domain=" + "a"*290 + ".pk"))
    show(c.get("/api/v1/register/licences/CVAS-DATA-2025-9999"))
    show(c.get("/api/v1/applications/1/documents/99999999999999999999999"))
    show(c.get("/api/v1/applications", HTTP_AUTHORIZATION="Basic abc"))
    show(c.get("/api/v1/applications", HTTP_AUTHORIZATION="Bearer "))
    show(c.get("/api/v1/applications?limit=0"))
    show(c.get("/api/v1/applications?offset=99999999999999999999"))
    show(c.get("/api/v1/nonexistent"))
    show(c.put(f"/api/v1/applications/{app.pk}"))
