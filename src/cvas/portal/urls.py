"""Organisation portal URLs (/portal/)."""

from django.urls import path

from cvas.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-up/", views.sign_up, name="sign_up"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/new/", views.organisation_new, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/members/", views.member_add, name="member_add"),
    path(
        "organisations/<int:pk>/members/<int:membership_id>/",
        views.member_change,
        name="member_change",
    ),
    path("organisations/<int:pk>/api-keys/", views.api_key_new, name="api_key_new"),
    path(
        "organisations/<int:pk>/api-keys/<int:key_id>/revoke/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
    path("applications/", views.applications, name="applications"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path(
        "applications/<int:pk>/step/<slug:step>/", views.application_step, name="application_step"
    ),
    path("applications/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("applications/<int:pk>/documents/<int:doc_id>/", views.document_download, name="document"),
    path(
        "applications/<int:pk>/documents/<int:doc_id>/remove/",
        views.document_remove,
        name="document_remove",
    ),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/respond/", views.application_respond, name="application_respond"),
    path(
        "applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"
    ),
    path("licences/", views.licences, name="licences"),
    path("licences/<int:pk>/", views.licence_detail, name="licence"),
    path("licences/<int:pk>/certificate/", views.certificate, name="certificate"),
]
