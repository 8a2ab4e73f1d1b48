"""Tests of what gets deployed, apart from the code's behaviour."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "deploy: builds a virtualenv from requirements.txt alone (needs PyPI or pip's cache; about a minute)",
    )
