"""The console is served same-origin with strict headers, signs in against Cognito, and onboards a provider."""
from __future__ import annotations

import requests
from playwright.sync_api import expect


def test_console_pages_carry_a_strict_content_security_policy(stack):
    # Given the console's entry page
    response = requests.get(stack.api_url + "/console/", timeout=10)
    # Then it is HTML with a policy that allows only this origin and Cognito's, and no inline script
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert f"connect-src 'self' {stack.aws_endpoint_url}" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_console_files_and_escapes_are_not_found(stack):
    for path in ("/console/nope.js", "/console/../app.py", "/console/%2e%2e/app.py", "/console/js/../../app.py"):
        response = requests.get(stack.api_url + path, timeout=10)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    redirect = requests.get(stack.api_url + "/console", timeout=10, allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"] == "/console/"


def test_a_wrong_password_is_told_and_a_new_provider_is_onboarded(console, users):
    provider = users.provider()
    session = console()
    page = session.page
    session.open()
    # When the provider types a wrong password
    page.get_by_label("E-mail").fill(provider.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    # Then the form says so
    expect(page.get_by_text("Wrong e-mail or password.")).to_be_visible()
    # When they sign in properly, having no business yet
    session.sign_in(provider)
    # Then onboarding asks for the profile
    expect(page.get_by_role("heading", name="Set up your business")).to_be_visible()
    assert not session.errors, session.errors
