from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("requests/", views.requests, name="requests"),
    path("counts/", views.counts, name="counts"),
    path("start/<int:profile_id>/", views.start, name="start"),
    path("<int:conversation_id>/", views.thread, name="thread"),
    path("<int:conversation_id>/send/", views.send, name="send"),
    path("<int:conversation_id>/read/", views.mark_read, name="read"),
    path("<int:conversation_id>/poll/", views.poll, name="poll"),
    path("<int:conversation_id>/accept/", views.accept, name="accept"),
    path("<int:conversation_id>/decline/", views.decline, name="decline"),
    path("<int:conversation_id>/block/", views.block, name="block"),
    path("report/message/<int:message_id>/", views.report_message, name="report_message"),
    path("report/person/<int:profile_id>/", views.report_person, name="report_person"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
