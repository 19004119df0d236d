"""Compliance pages: the licensee's returns under /portal/returns/ (namespace `returns`) and the
staff's ledger under /staff/compliance/ (namespace `compliance`), both included by the root URLs."""

from django.urls import path

from cvas.compliance import views

portal = (
    [
        path("", views.portal_list, name="list"),
        path("file/", views.portal_file, name="file"),
        path("upload/", views.portal_upload, name="upload"),
        path("<int:pk>/", views.return_detail, name="detail"),
        path("<int:pk>/return.csv", views.return_csv, name="csv"),
        path("<int:pk>/amend/", views.portal_amend, name="amend"),
        path("<int:pk>/amend/csv/", views.portal_amend_csv, name="amend_csv"),
    ],
    "returns",
)

staff = (
    [
        path("", views.dashboard, name="dashboard"),
        path("licensees/<int:organisation_id>/", views.licensee, name="licensee"),
        path("returns/", views.staff_returns, name="returns"),
        path("returns/<int:pk>/", views.staff_return_detail, name="return"),
        path("returns/<int:pk>/return.csv", views.staff_return_csv, name="return_csv"),
        path("violations/", views.violations, name="violations"),
        path("violations/new/", views.violation_new, name="violation_new"),
        path("violations/<int:pk>/", views.violation_detail, name="violation"),
        path("violations/<int:pk>/<slug:action>/", views.violation_action, name="violation_action"),
        path("cost-model/", views.cost_model, name="cost_model"),
        path("reminders/", views.reminders, name="reminders"),
    ],
    "compliance",
)
