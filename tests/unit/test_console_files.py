"""Which console files are served, and the headers every console answer carries."""
from __future__ import annotations

import pytest

from local import console


@pytest.mark.parametrize("path", ["/console/", "/console/index.html", "/console/js/main.js", "/console/app.css",
                                  "/console/js/views/schedule.js?v=2"])
def test_console_files_are_found(path):
    status, file, _ = console.resolve(path)
    assert status == 200 and file is not None and console.ROOT.resolve() in file.parents


@pytest.mark.parametrize("path", ["/console/../app.py", "/console/%2e%2e/app.py", "/console/js/../../app.py",
                                  "/console/nope.js", "/console/js", "/console/%00", "/console/..%5capp.py",
                                  "/console/.hidden.js"])
def test_anything_outside_or_missing_is_not_found(path):
    assert console.resolve(path)[0] == 404


def test_the_bare_path_redirects_to_the_folder():
    assert console.resolve("/console") == (301, None, "/console/")


def test_the_policy_allows_only_this_origin_and_the_sign_in_origin():
    origin = console.cognito_origin("eu-west-1")
    assert origin == "https://cognito-idp.eu-west-1.amazonaws.com"
    assert console.cognito_origin("eu-west-1", "http://127.0.0.1:4566/") == "http://127.0.0.1:4566"
    policy = console.content_security_policy(origin)
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["connect-src"] == f"'self' {origin}"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert console.security_headers(origin)["Content-Security-Policy"] == policy


def test_scripts_and_pages_get_their_types():
    assert console.content_type(console.ROOT / "js" / "main.js").startswith("text/javascript")
    assert console.content_type(console.ROOT / "index.html").startswith("text/html")


def test_no_script_parses_text_as_html_or_code():
    # The DOM is built from text nodes (console/js/dom.js); these would let user text become markup or code.
    forbidden = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "DOMParser", "createContextualFragment", "srcdoc", "javascript:", ".href =", ".src =")
    for script in console.ROOT.rglob("*.js"):
        text = script.read_text()
        for word in forbidden:
            assert word not in text, f"{script.relative_to(console.ROOT)} uses {word}"
    for page in console.ROOT.rglob("*.html"):
        text = page.read_text()
        assert "<script>" not in text and " style=" not in text and " onclick=" not in text, page.name


def test_the_stylesheet_is_balanced():
    # An unclosed block (e.g. an @media left open by a merge) silently swallows every rule after it.
    for sheet in console.ROOT.rglob("*.css"):
        depth = 0
        for char in sheet.read_text():
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, f"{sheet.name}: a '}}' closes nothing"
        assert depth == 0, f"{sheet.name}: {depth} block(s) left open"
