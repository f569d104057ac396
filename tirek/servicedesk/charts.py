"""A small bar chart as inline SVG (no scripts, no CDN): opened and resolved per month."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT, PAD = 640, 220, 28


def bars(rows) -> SafeString:
    if not rows:
        return SafeString("")
    top = max(max(r.opened, r.resolved) for r in rows) or 1
    slot = (WIDTH - 2 * PAD) / len(rows)
    bar = max(slot / 2 - 2, 1)
    parts = []
    for i, row in enumerate(rows):
        x = PAD + i * slot
        for j, (value, css) in enumerate(((row.opened, "opened"), (row.resolved, "resolved"))):
            h = (HEIGHT - 2 * PAD) * value / top
            parts.append(
                (
                    f"{x + j * (bar + 1):.1f}",
                    f"{HEIGHT - PAD - h:.1f}",
                    f"{bar:.1f}",
                    f"{h:.1f}",
                    css,
                    row.label,
                    value,
                )
            )
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="sd-{}"><title>{}: {}</title></rect>',
        parts,
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
        ((f"{PAD + i * slot + slot / 2:.1f}", HEIGHT - 8, r.label[2:]) for i, r in enumerate(rows)),
    )
    return format_html(
        '<svg viewBox="0 0 {} {}" role="img" aria-label="{}" class="w-100" style="max-width:{}px">'
        "<style>.sd-opened{{fill:#0d6efd}}.sd-resolved{{fill:#198754}}</style>{}{}</svg>",
        WIDTH,
        HEIGHT,
        _("Tickets opened (blue) and resolved (green) per month"),
        WIDTH,
        rects,
        labels,
    )
