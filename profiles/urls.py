from django.urls import path

from profiles import views

app_name = "profiles"

urlpatterns = [
    path("profile/", views.me, name="me"),
    path("profile/edit/", views.edit, name="edit"),
    path("profile/edit/interests/", views.edit_tags, {"kind": "interest"}, name="edit_interests"),
    path("profile/edit/values/", views.edit_tags, {"kind": "value"}, name="edit_values"),
    path("profile/onboarding/", views.onboarding, name="onboarding"),
    path("profile/onboarding/<slug:step>/", views.onboarding_step, name="onboarding_step"),
    path("people/<int:profile_id>/", views.detail, name="detail"),
    path("people/<int:profile_id>/block/", views.block, name="block"),
    path("tags/", views.tag_index, name="tag_index"),
    path("tags/suggest/", views.tag_suggest, name="tag_suggest"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag_detail"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/notifications/", views.settings_notifications, name="settings_notifications"),
    path("settings/export/", views.export, name="export"),
    path("settings/delete/", views.account_delete, name="account_delete"),
    path("settings/unblock/<int:user_id>/", views.unblock, name="unblock"),
]
