from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve

from intch import views
from profiles.views import ConfirmEmailView

# The admin logs in through allauth, so it gets the same rate limits and MFA.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "intch administration"
admin.site.site_title = "intch admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # allauth's own view, confirming on one click where that is safe (see the view).
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$",
        ConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("profiles.urls")),
    path("", include("matching.urls")),
    path("messages/", include("messaging.urls")),
    path("", include("search.urls")),
    path("home/", include("home.urls")),
]

handler400 = "intch.views.bad_request"
handler403 = "intch.views.permission_denied"
handler404 = "intch.views.page_not_found"
handler500 = "intch.views.server_error"
# Not one of Django's: allauth answers its rate limits (log in, sign up, reset) with it.
handler429 = "intch.views.too_many_requests"

# Uploaded avatars are re-encoded images, so the app can serve them itself; a reverse
# proxy in front may serve MEDIA_ROOT directly instead (docs/deploy.md).
urlpatterns += [
    re_path(
        r"^media/(?P<path>avatars/.*)$",
        require_safe(serve),
        {"document_root": settings.MEDIA_ROOT},
    ),
]
