"""Hostile input on every form and every parameter: never a server error, nothing half-saved.

The test renders every page of intch as a member (and allauth's way in as a visitor), finds
every <form> and its fields, adds the parameters tests/security/params.py declares per URL, and
sends each field and parameter each value of HOSTILE, one request per combination, the rest of
the form as the page filled it. Then every form twice, as a double submit.

After each request: no 5xx; a refusal (4xx) changed nothing (row counts and the member's
profile); an accepted request stored no control character, direction override, invisible-only
or oversized text in any text column of intch. Each request runs in a savepoint that is rolled
back, so every one starts from the same world, on SQLite (make test) and on PostgreSQL (.ci/run),
where a NUL in a query is a database error.

What the views read is recorded (a QueryDict that notes every name asked for): a view that
reads a parameter neither declared in params.py nor shown as a field of a form fails the test,
and so does a URL without an entry there.
"""

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.core import mail
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models.functions import Length
from django.http import QueryDict
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from tests.security.checks import http_routes
from tests.security.params import (
    LIBRARY,
    LIBRARY_MEMBER_PAGES,
    LIBRARY_VISITOR_PAGES,
    PARAMS,
    extra_path,
    own_path,
)

pytestmark = pytest.mark.django_db

MEGABYTE = "x" * 1_000_000
HOSTILE = (
    ("NUL", "a\x00b"),
    ("1 MB", MEGABYTE),
    ("CR/LF header injection", "Evil\r\nBcc: victim@example.com"),
    ("control characters", "a\x01\x07\x08\x1b[31m\x7f\x85\x9fb"),
    ("zero-width only", "\u200b\u200c\u200d\u2060\ufeff"),
    ("RTL override", "\u202etxt.exe"),
    ("4-byte emoji", "🧑‍💻𝕏🏴󠁧󠁢󠁥󠁮󠁧󠁿"),
    ("negative number", "-1"),
    ("huge number", "9" * 40),
    ("empty", ""),
    ("sent twice", ["a", "b"]),
    ("sent 300 times", ["Topic 1"] * 300),
    ("invalid UTF-8", b"\xff\xfe\xc0"),
    ("another site", "//evil.example/x"),
    ("a word (a path without a slash, a number of the wrong type)", "abc"),
)
# allauth is tested by its authors: its forms get the values that reach a database or a header.
LIBRARY_HOSTILE = tuple(
    (label, value)
    for label, value in HOSTILE
    if label in {"NUL", "1 MB", "CR/LF header injection", "control characters", "invalid UTF-8"}
)
FILL = {
    "email": "crawler@example.com",
    "url": "https://example.com/crawler",
    "password": "not-the-password-123",
    "number": "1",
}
ALWAYS_READ = {"csrfmiddlewaretoken"}
# Sent by the test client itself; CSRF has its own test (test_csrf.py).
NOT_FUZZED = {"csrfmiddlewaretoken"}
# Rows that requests write on purpose whatever they carry (logging in makes a session).
# Sessions come and go; an email sent (the outbox) is a message, not data the form saved.
VOLATILE_TABLES = {"django_session", "usersessions_usersession", "intch_outboxemail"}
INTCH_APPS = ("accounts", "profiles", "matching", "messaging")


# --- What views read ------------------------------------------------------------------------

READS = defaultdict(set)


class RecordingQueryDict(QueryDict):
    """A QueryDict that notes each parameter name a view asks for (any way of asking)."""

    def _note(self, key):
        self.reads.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def pop(self, key, *args):
        self._note(key)
        return super().pop(key, *args)

    def copy(self):
        return recording(self, self.reads)


def recording(params, reads):
    copied = RecordingQueryDict(mutable=True, encoding=params.encoding)
    for key, values in params.lists():
        copied.setlist(key, list(values))
    copied.reads = reads
    return copied


def _route_key(match):
    return match.view_name if match.url_name else match.route


class RecordReads:
    """Test-only middleware: the view sees recording copies of GET and POST."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        key = _route_key(request.resolver_match)
        request.GET = recording(request.GET, READS[(key, "GET")])
        if request.method == "POST":
            request.POST = recording(request.POST, READS[(key, "POST")])


# --- Forms on a page ------------------------------------------------------------------------


@dataclass
class Form:
    key: str  # the URL table's key of the view it sends to
    method: str
    action: str
    fields: list = field(default_factory=list)  # (name, kind)
    baseline: list = field(default_factory=list)  # (name, value) as a browser would send
    library: bool = False


class _Forms(HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self.form = page, [], None
        self._select = self._textarea = None
        self._radios = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = {"attrs": attrs, "fields": [], "baseline": [], "buttons": []}
            self._radios = {}
            return
        if self.form is None or "name" not in attrs:
            if tag == "option" and self._select is not None:
                self._option(attrs)
            elif tag == "button" and self.form is not None:
                self.form["buttons"].append(attrs.get("formaction"))
            return
        name = attrs["name"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            self._input(name, kind, attrs)
        elif tag == "textarea":
            self._textarea = [name, "required" in attrs, ""]
            self.form["fields"].append((name, "textarea"))
        elif tag == "select":
            self._select = [name, None, None]
            self.form["fields"].append((name, "select"))
        elif tag == "button" and (attrs.get("type") or "submit") == "submit":
            self.form["fields"].append((name, "button"))
            self.form["buttons"].append(attrs.get("formaction"))

    def _input(self, name, kind, attrs):
        if kind == "file":
            return
        self.form["fields"].append((name, kind))
        value = attrs.get("value") or ""
        if kind == "checkbox":
            if "checked" in attrs:
                self.form["baseline"].append((name, value or "on"))
        elif kind == "radio":
            if "checked" in attrs or name not in self._radios:
                self._radios[name] = value
        elif kind not in ("submit", "button", "reset", "image"):
            if not value and "required" in attrs:
                value = FILL.get(kind, "Crawler text")
            self.form["baseline"].append((name, value))

    def _option(self, attrs):
        value = attrs.get("value", "")
        if self._select[1] is None or "selected" in attrs:
            self._select[1] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            name, required, text = self._textarea
            self.form["baseline"].append((name, text.lstrip("\n") or ("Crawler text" * required)))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if self._select[1] is not None:
                self.form["baseline"].append((self._select[0], self._select[1]))
            self._select = None
        elif tag == "form" and self.form is not None:
            self.form["baseline"] += list(self._radios.items())
            self._finish(self.form)
            self.form = None

    def _finish(self, raw):
        """One Form per URL the form sends to: its action, and each button's formaction."""
        default = raw["attrs"].get("action") or self.page
        actions = {button or default for button in raw["buttons"]} or {default}
        for action in sorted(actions):
            if urlsplit(action).netloc:
                continue
            try:
                match = resolve(urlsplit(action).path)
            except Resolver404:
                continue
            key = _route_key(match)
            self.forms.append(
                Form(
                    key=key,
                    method=(raw["attrs"].get("method") or "get").lower(),
                    action=action,
                    fields=[f for f in dict.fromkeys(raw["fields"]) if f[0] not in NOT_FUZZED],
                    baseline=[(n, v) for n, v in raw["baseline"] if n not in NOT_FUZZED],
                    library=PARAMS.get(key) == LIBRARY,
                )
            )


def forms_on(html, page):
    parser = _Forms(page)
    parser.feed(html)
    return parser.forms


# --- The state a refusal must leave alone ------------------------------------------------------


def _count_query():
    tables = sorted(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
        - VOLATILE_TABLES
    )
    quote = connection.ops.quote_name
    # Table names come from the models, not from a request.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    return tables, f"SELECT {counts}"


def fingerprint(query, owner_id):
    from profiles.models import Profile

    with connection.cursor() as cursor:
        cursor.execute(query[1])
        counts = dict(zip(query[0], cursor.fetchone(), strict=True))
    fields = [f.attname for f in Profile._meta.concrete_fields if f.name != "updated_at"]
    return counts, list(Profile.objects.filter(user_id=owner_id).values_list(*fields))


def _text_columns():
    for model in apps.get_models():
        if model._meta.app_label not in INTCH_APPS:
            continue
        for column in model._meta.concrete_fields:
            if isinstance(column, models.CharField | models.TextField) and not column.choices:
                yield model, column


def _stored_text_checks():
    """(model, query, columns): finds stored text no input should have let through.

    One query per model: any text column with a control character or a direction override
    (one-line columns: line breaks and tabs too), made only of invisible characters, or longer
    than its limit.
    """
    nul = "\\x00" if connection.vendor == "sqlite" else ""  # PostgreSQL cannot store one
    direction = "\\u202a-\\u202e\\u2066-\\u2069"
    one_line = f"[{nul}\\x01-\\x1f\\x7f-\\x9f{direction}]"
    several_lines = f"[{nul}\\x01-\\x08\\x0b-\\x1f\\x7f-\\x9f{direction}]"
    invisible = "^[\\s\\u200b-\\u200f\\u2060\\ufeff\\u00ad]+$"
    by_model = defaultdict(list)
    for model, column in _text_columns():
        by_model[model].append(column)
    checks = []
    for model, columns in by_model.items():
        condition, lengths = models.Q(), {}
        for column in columns:
            is_line = not isinstance(column, models.TextField)
            lengths[f"_length_{column.name}"] = Length(column.name)
            condition |= models.Q(
                **{f"{column.name}__regex": one_line if is_line else several_lines}
            )
            condition |= models.Q(**{f"{column.name}__regex": invisible})
            limit = column.max_length if is_line else 10_000
            condition |= models.Q(**{f"_length_{column.name}__gt": limit})
        rows = model._default_manager.annotate(**lengths).filter(condition)
        checks.append((model.__name__, rows, [column.name for column in columns]))
    return checks


# --- Sending ----------------------------------------------------------------------------------


def _encode(pairs):
    encoded = []
    for name, value in pairs:
        encoded.extend((name, one) for one in (value if isinstance(value, list) else [value]))
    return urlencode(encoded)


class Prober:
    """Sends requests in rolled-back savepoints and checks each answer and what it left."""

    def __init__(self, client, owner_id):
        self.client, self.owner_id = client, owner_id
        self.failures, self.sent = [], 0
        self._count_query = _count_query()
        self._text_checks = _stored_text_checks()

    def _fingerprint(self):
        return fingerprint(self._count_query, self.owner_id)

    def send(self, method, path, pairs, *, label, htmx=False, twice=False):
        cache.clear()  # rate limits, cached pages: each request starts afresh
        cookies = copy.deepcopy(self.client.cookies)
        savepoint = transaction.savepoint()
        try:
            before = self._fingerprint()
            response = self._request(method, path, pairs, htmx)
            where = f"{method.upper()} {path} with {label}"
            if self._check(where, before, response) and twice:
                after_first = self._fingerprint()
                again = self._request(method, path, pairs, htmx)
                if self._check(where, after_first, again) and self._fingerprint() != after_first:
                    self.failures.append(f"{where}: the second one saved something again")
        finally:
            transaction.savepoint_rollback(savepoint)
            self.client.cookies = cookies
            mail.outbox.clear()

    def _request(self, method, path, pairs, htmx):
        self.sent += 1
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        if method == "get":
            query = _encode(pairs)
            return self.client.get(f"{path}{'&' if '?' in path else '?'}{query}", **headers)
        return self.client.post(
            path, _encode(pairs), content_type="application/x-www-form-urlencoded", **headers
        )

    def _check(self, where, before, response):
        """Record what is wrong with one answer and what it left; True when nothing is."""
        failures = len(self.failures)
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{where}: {status}")
        elif status >= 400:
            if self._fingerprint() != before:
                self.failures.append(f"{where}: refused ({status}) yet something was saved")
        else:
            for model, rows, columns in self._text_checks:
                for row in rows.values(*columns)[:1]:
                    stored = {name: value[:80] for name, value in row.items()}
                    self.failures.append(f"{where}: accepted, and stored in {model} {stored!r}")
        return len(self.failures) == failures


# --- The tests ----------------------------------------------------------------------------------


def test_every_url_has_an_entry_in_the_params_table():
    in_urls = {key for key, route, _ in http_routes() if not route.startswith("admin/")}

    assert in_urls - set(PARAMS) == set(), "add these URLs to tests/security/params.py"
    assert set(PARAMS) - in_urls == set(), "these URLs are gone: drop them from params.py"


def test_every_url_answers_only_the_methods_its_entry_lists(world, member_client):
    member_client.raise_request_exception = False
    failures = []
    for key, params in PARAMS.items():
        if params == LIBRARY:
            continue
        path = own_path(key, world)
        for method, allowed in (("get", params.get_allowed), ("post", params.post is not None)):
            savepoint = transaction.savepoint()
            status = getattr(member_client, method)(path).status_code
            transaction.savepoint_rollback(savepoint)
            if (status == 405) == allowed:
                failures.append(f"{method.upper()} {path}: {status}")
    assert failures == [], "405 expected exactly where params.py lists no such method"


@pytest.fixture
def record_reads(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RecordReads"]
    READS.clear()
    yield READS
    READS.clear()


def _crawl(client, pages):
    """Every form on `pages`, once per view, method and set of fields."""
    found = {}
    for page in pages:
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in forms_on(response.content.decode(), page):
            signature = (form.key, form.method, frozenset(name for name, _ in form.fields))
            found.setdefault(signature, form)
    return list(found.values())


def _member_pages(world):
    pages = []
    for key, params in PARAMS.items():
        if params == LIBRARY or not params.get_allowed:
            continue
        pages.append(own_path(key, world))
        pages += [extra_path(name, world) for name in params.also_crawl]
    return pages + [reverse(name) for name in LIBRARY_MEMBER_PAGES]


def _probe_form(prober, form, values):
    """Each field and declared parameter of `form` x each value, then the form twice."""
    declared = {} if form.library else getattr(PARAMS[form.key], form.method, None) or {}
    baseline = form.baseline + [(n, v) for n, v in declared.items() if n not in dict(form.baseline)]
    targets = list(dict.fromkeys([name for name, _ in form.fields] + list(declared)))
    for target in targets:
        for number, (label, value) in enumerate(values):
            pairs = [(n, v) for n, v in baseline if n != target] + [(target, value)]
            prober.send(
                form.method, form.action, pairs, label=f"{target}={label}", htmx=number % 2 == 1
            )
    prober.send(form.method, form.action, baseline, label="the same form twice", twice=True)
    # Ticked boxes can hide a double submit (“also block” makes the second report a 404).
    boxes = {name for name, kind in form.fields if kind == "checkbox"}
    if any(name in boxes for name, _ in baseline):
        unticked = [(name, value) for name, value in baseline if name not in boxes]
        prober.send(form.method, form.action, unticked, label="twice, unticked", twice=True)


def test_hostile_values_in_every_form_and_parameter(world, record_reads, settings):
    settings.MESSAGING_MESSAGES_PER_MINUTE = settings.MESSAGING_INTRO_REQUESTS_PER_DAY = 0
    # A client made now, so its requests pass through the recording middleware.
    member = Client(raise_request_exception=False)
    member.force_login(world.owner.user)
    forms = _crawl(member, _member_pages(world))
    covered = {(form.key, form.method) for form in forms}
    # Parameters no form carries: GET pages and POST endpoints of the table, as their own forms.
    for key, params in PARAMS.items():
        if params == LIBRARY:
            continue
        path = own_path(key, world)
        if params.get and params.get_allowed:
            forms.append(Form(key=key, method="get", action=path, baseline=[]))
        if params.post is not None and (key, "post") not in covered:
            forms.append(Form(key=key, method="post", action=path, baseline=[]))

    prober = Prober(member, world.owner.user_id)
    for form in forms:
        _probe_form(prober, form, LIBRARY_HOSTILE if form.library else HOSTILE)
    visitor = Client(raise_request_exception=False)
    visitor_prober = Prober(visitor, world.owner.user_id)
    for form in _crawl(visitor, [reverse(name) for name in LIBRARY_VISITOR_PAGES]):
        _probe_form(visitor_prober, form, LIBRARY_HOSTILE)

    failures = prober.failures + visitor_prober.failures
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join(failures[:60])
    # What each view read, against the table and the fields of its forms.
    shown = defaultdict(set)
    for form in forms:
        shown[(form.key, form.method.upper())].update(name for name, _ in form.fields)
    unknown = []
    for (key, method), names in READS.items():
        params = PARAMS.get(key)
        if params is None or params == LIBRARY:
            continue
        declared = set(params.get) | set(params.post or {}) | shown[(key, method)] | ALWAYS_READ
        if extra := names - declared:
            unknown.append(f"{key} reads {sorted(extra)} from {method}: declare it in params.py")
    assert unknown == [], "\n".join(unknown)
