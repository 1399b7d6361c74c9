# The harness (pytest11 entry point) collects docs/ pages as tests; this registers the
# database checks the pages call by name.
pytest_plugins = ["tests.page_checks"]
