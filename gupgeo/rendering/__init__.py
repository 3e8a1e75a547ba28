"""Rendering of HTML reports (atlas pages, review): Jinja2 templates with autoescape,
French tables whose numeric cells keep their raw value. Numbers and dates are written
by :mod:`gupgeo.french`."""
