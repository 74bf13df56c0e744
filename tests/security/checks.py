"""Helpers shared by the security tests: the URL map, an HTML scanner and a state snapshot."""

import re
from html.parser import HTMLParser

from django.apps import apps
from django.urls import URLResolver, get_resolver

LOGIN_PATH = "/accounts/login/"
ADMIN_LOGIN_PATH = "/admin/login/"


# --- The URL map -----------------------------------------------------------------------------


def http_routes():
    """Every HTTP route of intch/urls.py as (key, route, has_params), resolvers flattened.

    `key` is the namespaced URL name, or the route itself for unnamed patterns; `route` joins
    the patterns of every level (so allauth's "oidc/<provider_id>/" counts for its children).
    """
    routes = []

    def walk(patterns, prefix, namespace, params):
        for pattern in patterns:
            own = _has_params(pattern.pattern)
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part)
                walk(pattern.url_patterns, route, inner, params or own)
            else:
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                routes.append((name or route, route, params or own))

    walk(get_resolver().url_patterns, "", "", False)
    return routes


def _has_params(pattern):
    return bool(getattr(pattern, "converters", None)) or pattern.regex.groups > 0


_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill_route(route, values):
    """A concrete path for `route`: each parameter replaced by values[name], anchors dropped."""

    def substitute(match):
        return str(values[match.group(1) or match.group(2)])

    path = _ROUTE_PARAM.sub(substitute, route).replace("^", "").replace("$", "")
    return "/" + path


def login_redirect(response, login_path=LOGIN_PATH):
    return response.status_code == 302 and response["Location"].startswith(login_path)


# --- HTML: is every payload shown as text? -------------------------------------------------------

# Elements a payload could inject that no page of intch (nor of Django's admin) contains.
# (<svg> is left out: the admin draws icons with it; an injected one shows by its onload.)
FOREIGN_ELEMENTS = {"iframe", "object", "embed", "base", "frame", "frameset"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.text = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        # Data blocks (json_script) are not run; anything else inside <script> would be.
        self._in_script = tag == "script" and dict(attrs).get("type") != "application/json"

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:80]!r}")
        self.text.append(data)

    def _check(self, tag, attrs):
        where = f"<{tag}>"
        if tag in FOREIGN_ELEMENTS:
            self.problems.append(f"injected element {where}")
        if tag == "script" and dict(attrs).get("type") != "application/json":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/") or src.startswith("//"):  # /static/, /admin/jsi18n/
                self.problems.append(f"script not served by intch: {src!r}")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("injected <img src=x>")
        if tag == "style":
            self.problems.append("inline <style> element")
        for name, value in attrs:
            value = value or ""
            self.text.append(value)
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}={value!r} on {where}")
            if name == "style" and "xss" in value.lower():
                self.problems.append(f"injected style attribute on {where}")
            if name.startswith("hx-") and "xss" in value.lower():
                self.problems.append(f"injected htmx attribute {name}={value!r} on {where}")
            compact = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name in URL_ATTRIBUTES and compact.startswith(("javascript:", "data:text/html")):
                self.problems.append(f"script URL {name}={value!r} on {where}")


def scan_html(html):
    """(problems, text): what could run script intch did not write, and what a person reads.

    `problems` is empty when every payload stayed text; `text` is the page's text and attribute
    values, unescaped.
    """
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems, "".join(scanner.text)


def html_problems(html):
    """What in `html` could run script that intch did not write itself (empty: nothing)."""
    return scan_html(html)[0]


# --- Database state ------------------------------------------------------------------------------

# Writes that a page view makes on purpose, so they are left out of "nothing changed".
VOLATILE = {
    "sessions.Session": None,  # logging in and out, the session's own bookkeeping
    "accounts.User": {"last_login"},
    # An email is a message sent, not data saved: allauth's rate limits bound the repeats.
    "intch.OutboxEmail": None,
    # Opening a thread reads it, and the matches page notes when the person last looked.
    "messaging.Participant": {"last_read_message_id", "last_read_at"},
    "matching.MatchState": {"last_seen_at", "new_since"},
    "profiles.Profile": {"updated_at"},
}


def db_state():
    """Every row of every model, volatile fields left out: equal snapshots, nothing written."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label
        skipped = VOLATILE.get(label, set())
        if skipped is None:
            continue
        fields = sorted(
            field.attname for field in model._meta.concrete_fields if field.name not in skipped
        )
        state[label] = sorted(model._default_manager.order_by().values_list(*fields), key=repr)
    return state


def state_changes(before, after):
    """The models whose rows differ between two snapshots."""
    return sorted(label for label in before if before[label] != after.get(label))
