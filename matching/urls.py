from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("matches/", views.match_list, name="list"),
    path("matches/saved/", views.saved_list, name="saved"),
    path("matches/status/", views.match_status, name="status"),
    path("matches/tags/", views.tag_options, name="tag_options"),
    path("matches/people/<int:profile_id>/pass/", views.match_pass, name="pass"),
    path("matches/people/<int:profile_id>/undo-pass/", views.match_pass_undo, name="pass_undo"),
    path("matches/people/<int:profile_id>/save/", views.match_save, name="save"),
    path("matches/people/<int:profile_id>/unsave/", views.match_unsave, name="unsave"),
]
