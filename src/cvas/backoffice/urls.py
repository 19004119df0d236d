"""Back-office URLs (/staff/)."""

from django.urls import path

from cvas.backoffice import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/take/", views.application_take, name="application_take"),
    path("applications/<int:pk>/assign/", views.application_assign, name="application_assign"),
    path("applications/<int:pk>/decide/", views.application_decide, name="application_decide"),
    path("applications/<int:pk>/documents/<int:doc_id>/", views.document_download, name="document"),
    path("licences/", views.licences, name="licences"),
    path("licences/<int:pk>/", views.licence_detail, name="licence"),
    path("licences/<int:pk>/action/", views.licence_action, name="licence_action"),
    path("licences/<int:pk>/number/", views.licence_number, name="licence_number"),
    path("audit/", views.audit, name="audit"),
    path("regimes/", views.regimes, name="regimes"),
    path("regimes/new/", views.regime_edit, name="regime_new"),
    path("regimes/<slug:code>/", views.regime_edit, name="regime_edit"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/roles/", views.user_roles, name="user_roles"),
]
