"""Going somewhere through the header, as a person would on any screen: on a phone the
further links sit under "Menu"."""


def nav_link(page, name):
    """The header's link (or Log out button) called `name`, opening the Menu if it is there."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=name, exact=True)
    if name.lower() == "log out":
        link = nav.get_by_role("button", name="Log out")
    if not link.is_visible():
        menu = nav.locator("summary", has_text="Menu")
        if menu.is_visible():
            menu.click()
    return link


def open_filters(page):
    """The matches filters fold away on phones: open them."""
    fold = page.locator("details#match-filters")
    if fold.count() and fold.get_attribute("open") is None:
        fold.locator("summary").click()
