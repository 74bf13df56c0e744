"""Reading and writing the taxonomy as JSON or CSV files (admin import/export, load_taxonomy).

JSON is the format of `profiles/data/taxonomy.json`::

    {"version": 1,
     "categories": [{"name", "slug", "description", "position"}...],
     "tags": [{"name", "kind", "category": <category slug>, "description", "status",
               "aliases": [...]}...]}

CSV has the header `name,kind,category,description,status,aliases` (any order, all six
columns required) and one row per tag:

- `kind` is `interest` or `value` (blank: interest); `status` is `approved`, `pending` or
  `rejected` (blank: approved); `aliases` are separated by `|`.
- A row whose kind is `category` declares a category: `name` is its name, `category` its
  slug (blank: slugify(name)) and `description` its description. Declared categories keep
  the order of their rows. Export writes these rows first, so CSV loses nothing.
- A tag's `category` cell may hold a category's slug or its name. A slug declared in the
  file wins; otherwise the cell becomes slug = slugify(cell), and a category with that
  slug is created on import unless one exists (an existing category with the same name
  is reused too). A new category named by a slug-like cell gets a readable name
  ("data-ai" -> "Data ai").
- Cells that a spreadsheet would run as a formula (starting with = + - @) are written
  with a leading `'`, which is removed again on import.

Exporting and importing into an empty database gives back the same categories (names,
slugs, descriptions, order) and tags (names, kinds, categories, descriptions, statuses,
aliases). Tag slugs and who proposed a pending tag are not part of the file.
"""

import csv
import io
import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from django.utils.text import slugify

from intch.inputs import clean_line
from profiles.models import TAG_NAME_MAX_LENGTH, Category, Tag, TagAlias, normalise_tag_name

MAX_FILE_BYTES = 5 * 1024 * 1024
CSV_COLUMNS = ("name", "kind", "category", "description", "status", "aliases")
CATEGORY_KIND = "category"
ALIAS_SEPARATOR = "|"
CATEGORY_NAME_MAX_LENGTH = 80
SLUG_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 300
ALIAS_MAX_LENGTH = 100
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SLUG_PATTERN = re.compile(r"^[-a-z0-9_]+$")
FORMAT_VERSION = 1


def parse_taxonomy_file(uploaded: Any, filename: str) -> dict[str, Any]:
    """Read an uploaded .json or .csv taxonomy file into the import format, or raise."""
    name = str(filename or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ("json", "csv"):
        raise ValidationError("Choose a .json or .csv taxonomy file.")
    text = _read_text(uploaded)
    data = _parse_json(text) if extension == "json" else _parse_csv(text)
    return _checked(data)


def taxonomy_export_json():
    """The whole taxonomy as JSON text in the format of profiles/data/taxonomy.json."""
    categories, tags = _export_rows()
    data = {"version": FORMAT_VERSION, "categories": categories, "tags": tags}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def taxonomy_export_csv():
    """The whole taxonomy as CSV text: category rows first, then one row per tag."""
    categories, tags = _export_rows()
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for category in categories:
        writer.writerow(
            _escape_row(
                [category["name"], CATEGORY_KIND, category["slug"], category["description"], "", ""]
            )
        )
    for tag in tags:
        writer.writerow(
            _escape_row(
                [
                    tag["name"],
                    tag["kind"],
                    tag["category"],
                    tag["description"],
                    tag["status"],
                    ALIAS_SEPARATOR.join(tag["aliases"]),
                ]
            )
        )
    return output.getvalue()


# --- Export ---------------------------------------------------------------------------


def _export_rows():
    categories = [
        {
            "name": category.name,
            "slug": category.slug,
            "description": category.description,
            "position": category.position,
        }
        for category in Category.objects.order_by("position", "name")
    ]
    tags = (
        Tag.objects.select_related("category")
        .prefetch_related(
            Prefetch("aliases", queryset=TagAlias.objects.order_by("normalized_name"))
        )
        .order_by(
            "kind",
            F("category__position").asc(nulls_last=True),
            "category__name",
            "name",
        )
    )
    rows = [
        {
            "name": tag.name,
            "kind": tag.kind,
            "category": tag.category.slug if tag.category else "",
            "description": tag.description,
            "status": tag.status,
            "aliases": [alias.normalized_name for alias in tag.aliases.all()],
        }
        for tag in tags
    ]
    return categories, rows


def _escape_row(cells):
    return [f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell for cell in cells]


def _unescape(cell):
    if len(cell) > 1 and cell[0] == "'" and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


# --- Import ---------------------------------------------------------------------------


def _read_text(uploaded):
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    raw = uploaded.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError("The file is larger than 5 MB.")
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not raw.strip():
        raise ValidationError("The file is empty.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not UTF-8 text. Save it as UTF-8 (in a spreadsheet: “CSV UTF-8”) "
            "and upload it again."
        ) from None
    if "\x00" in text:
        raise ValidationError("The file contains binary data, not text.")
    if not text.strip():
        raise ValidationError("The file is empty.")
    return text


def _parse_json(text):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"The file is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None
    if not isinstance(data, dict):
        raise ValidationError("The JSON file must be an object with “categories” and “tags”.")
    if not isinstance(data.get("tags"), list):
        raise ValidationError("The JSON file must have a list of “tags”.")
    categories = data.get("categories") or []
    if not isinstance(categories, list):
        raise ValidationError("“categories” must be a list.")
    for number, row in enumerate(categories, start=1):
        if not isinstance(row, dict):
            raise ValidationError(f"Category {number} must be an object with a “name”.")
    for number, row in enumerate(data["tags"], start=1):
        if not isinstance(row, dict):
            raise ValidationError(f"Tag {number} must be an object with a “name”.")
        aliases = row.get("aliases")
        if aliases is not None and (
            not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases)
        ):
            raise ValidationError(f"Tag {number}: “aliases” must be a list of names.")
        for key in ("name", "kind", "category", "description", "status"):
            if row.get(key) is not None and not isinstance(row[key], str):
                raise ValidationError(f"Tag {number}: “{key}” must be text.")
    return {"categories": categories, "tags": data["tags"], "labels": None}


def _parse_csv(text):
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise ValidationError(f"The CSV file cannot be read: {error}.") from None
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in CSV_COLUMNS if column not in header]
    unknown = [column for column in header if column and column not in CSV_COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing column(s): " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s): " + ", ".join(unknown))
        raise ValidationError(
            "The CSV header must be “" + ",".join(CSV_COLUMNS) + "” (" + "; ".join(problems) + ")."
        )
    index = {column: header.index(column) for column in CSV_COLUMNS}
    declared, tags, labels = [], [], []
    declared_slugs, declared_names = set(), {}
    for line_number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise ValidationError(
                f"Line {line_number} has {len(cells)} cells but the header has {len(header)}."
            )
        cells = cells + [""] * (len(header) - len(cells))
        row = {column: _unescape(cells[index[column]].strip()) for column in CSV_COLUMNS}
        if row["kind"].lower() == CATEGORY_KIND:
            slug = row["category"] or slugify(row["name"])
            declared.append({"name": row["name"], "slug": slug, "description": row["description"]})
            declared_slugs.add(slug)
            declared_names[row["name"].casefold()] = slug
            continue
        aliases = [alias.strip() for alias in row["aliases"].split(ALIAS_SEPARATOR)]
        tags.append(
            {
                "name": row["name"],
                "kind": row["kind"].lower(),
                "category": row["category"],
                "description": row["description"],
                "status": row["status"].lower(),
                "aliases": [alias for alias in aliases if alias],
            }
        )
        labels.append(f"Line {line_number}")
    categories = list(declared)
    for tag in tags:
        cell = tag["category"]
        if not cell or cell in declared_slugs:
            continue
        slug = declared_names.get(cell.casefold()) or slugify(cell)
        tag["category"] = slug
        if slug and slug not in declared_slugs:
            name = cell if cell != slug else cell.replace("-", " ").replace("_", " ").capitalize()
            categories.append({"name": name, "slug": slug, "description": ""})
            declared_slugs.add(slug)
            declared_names[name.casefold()] = slug
    return {"categories": categories, "tags": tags, "labels": labels}


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise blanks to defaults and refuse what the database could not store."""
    categories = [
        _checked_category(row, number) for number, row in enumerate(data["categories"], start=1)
    ]
    labels = data.get("labels")
    tags = [
        _checked_tag(row, labels[number - 1] if labels else f"Tag {number}")
        for number, row in enumerate(data["tags"], start=1)
    ]
    return {"categories": categories, "tags": tags}


def _checked_description(row: dict[str, Any], label: str) -> str:
    description = clean_line(str(row.get("description") or ""))
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            f"{label} has a description longer than {DESCRIPTION_MAX_LENGTH} characters."
        )
    return description


def _checked_category(row: dict[str, Any], number: int) -> dict[str, Any]:
    name = clean_line(str(row.get("name") or ""))
    label = f"Category {number}" + (f" (“{name}”)" if name else "")
    if not name:
        raise ValidationError(f"{label} has no name.")
    if len(name) > CATEGORY_NAME_MAX_LENGTH:
        raise ValidationError(f"{label} has a name longer than {CATEGORY_NAME_MAX_LENGTH}.")
    slug = str(row.get("slug") or slugify(name))
    if not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX_LENGTH:
        raise ValidationError(
            f"{label} has an invalid slug “{slug[:90]}” (lowercase letters, digits and "
            f"hyphens, at most {SLUG_MAX_LENGTH})."
        )
    category: dict[str, Any] = {
        "name": name,
        "slug": slug,
        "description": _checked_description(row, label),
    }
    position = row.get("position")
    if position is not None:
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise ValidationError(f"{label} has a position that is not a whole number.")
        category["position"] = position
    return category


def _checked_tag(row: dict[str, Any], label: str) -> dict[str, Any]:
    name = clean_line(str(row.get("name") or ""))
    if name:
        label += f" (“{name[:60]}”)"
    if not normalise_tag_name(name):
        raise ValidationError(f"{label} has no name.")
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise ValidationError(f"{label} is longer than {TAG_NAME_MAX_LENGTH} characters.")
    kind = row.get("kind") or Tag.Kind.INTEREST
    if kind not in Tag.Kind.values:
        raise ValidationError(
            f"{label} has an unknown kind “{kind}” (use {' or '.join(Tag.Kind.values)})."
        )
    status = row.get("status") or Tag.Status.APPROVED
    if status not in Tag.Status.values:
        raise ValidationError(
            f"{label} has an unknown status “{status}” (use {', '.join(Tag.Status.values)})."
        )
    return {
        "name": name,
        "kind": kind,
        "category": row.get("category") or "",
        "description": _checked_description(row, label),
        "status": status,
        "aliases": _checked_aliases(row, label),
    }


def _checked_aliases(row: dict[str, Any], label: str) -> list[str]:
    aliases = []
    for alias in row.get("aliases") or []:
        normalized = normalise_tag_name(alias)
        if len(normalized) > ALIAS_MAX_LENGTH:
            raise ValidationError(
                f"{label} has an alias longer than {ALIAS_MAX_LENGTH} characters."
            )
        if normalized:
            aliases.append(normalized)
    return aliases
