"""Site-wide login enforcement: every page needs a staff session unless settings.LOGIN_EXEMPT_URLS says otherwise."""
import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.exempt_patterns = [re.compile(pattern) for pattern in settings.LOGIN_EXEMPT_URLS]

    def __call__(self, request):
        if not request.user.is_authenticated:
            path = request.path_info.lstrip("/")
            if not any(pattern.match(path) for pattern in self.exempt_patterns):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
