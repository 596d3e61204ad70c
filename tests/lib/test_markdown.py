"""Model text as Markdown: formatted, and never a way to put HTML or scripts on our pages."""

from __future__ import annotations

from playground.lib.markdown import render_markdown


def test_markdown_is_formatted():
    html = render_markdown("# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<ul>\n<li>one</li>" in html


def test_tables_and_fenced_code_are_kept():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx = 1\n```\n")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>x = 1\n</code></pre>" in html


def test_raw_html_in_the_text_is_shown_as_text():
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_dangerous_links_lose_their_target_and_safe_ones_are_marked():
    html = render_markdown("[a](javascript:alert(1)) [b](https://example.com)")
    assert 'href="javascript' not in html and "<a>a</a>" not in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">b</a>' in html


def test_pictures_are_not_loaded_from_elsewhere():
    assert "<img" not in render_markdown("![tracker](https://example.com/pixel.png)")
